#!/usr/bin/env bash
# Installs what is missing, builds in release mode, and runs the main job end to end on a small default:
# a paper-4x4-agent dataset (the agent plus a random-walking distractor), a LAM trained on it, probes of
# what its latent holds, and the report with pictures.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release
lam=".build/release/lam"
out="${1:-checkpoints/main-job}"

"$lam" generate --env paper-4x4-agent --episodes 1000 --steps 32 --seed 0 --out "$out/data" --force
"$lam" train --data "$out/data" --out "$out/run" --seed 0 --force
"$lam" probe --run "$out/run"
"$lam" report --run "$out/run" --force
echo "main job done: dataset in $out/data, run folder in $out/run, report in $out/run/report/summary.md"
