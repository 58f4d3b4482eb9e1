#!/usr/bin/env bash
# Checks that run whole processes against each other, beyond the Swift suite: a short kill -9 soak (random
# kills of train, generate and sweep run, each followed by a resume or rerun and a byte comparison), and
# lam's TensorBoard files read by TensorBoard's own reader while a run trains and after a kill and resume.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/kill-soak.sh 9 "${LAM_SOAK_SEED:-1}"
scripts/tensorboard-check.sh
