#!/usr/bin/env bash
# Installs what is missing, builds in release mode, and runs the main job end to end on a small default:
# a paper-4x4-agent-strong dataset (the agent among a strongly moving distractor), two VQ LAMs trained on it,
# one without labels and one with action labels on 5% of its episodes, probes of what each latent holds,
# a report per run, and one page comparing them: the first latent tracks the distractor, the second holds
# the agent's action.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release
lam=".build/release/lam"
out="${1:-checkpoints/main-job}"
train=(--data "$out/data" --bottleneck vq --codes 5 --steps 3000 --seed 0 --force)

"$lam" generate --env paper-4x4-agent-strong --episodes 1000 --steps 32 --seed 0 --out "$out/data" --force
"$lam" train "${train[@]}" --out "$out/no-labels"
"$lam" train "${train[@]}" --label-fraction 0.05 --out "$out/labels-5pct"
for run in no-labels labels-5pct; do
  "$lam" probe --run "$out/$run"
  "$lam" report --run "$out/$run" --force
done
"$lam" compare "$out/no-labels" "$out/labels-5pct" --out "$out/compare" --force
echo "main job done: the two runs compared in $out/compare/index.html (open it in a browser)"
