#!/usr/bin/env bash
# Checks that run whole processes against each other, beyond the Swift suite: a short kill -9 soak (random
# kills of train, generate and sweep run, each followed by a resume or rerun and a byte comparison); lam's
# TensorBoard files read by TensorBoard's own reader while a run trains and after a kill and resume; the
# HTML pages of a small run, a quick sweep and a comparison in headless Chromium; and the quick Section-5 sweep
# through a single-node Slurm cluster, with a failed task resubmitted, against a local run; and every table of
# docs/results.md regenerated at quick sizes against the stored quick result, and rerun to the same bytes.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/kill-soak.sh 9 "${LAM_SOAK_SEED:-1}"
scripts/tensorboard-check.sh
scripts/pages-check.sh
scripts/slurm-check.sh
scripts/results-check.sh
