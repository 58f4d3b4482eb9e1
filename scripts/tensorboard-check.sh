#!/usr/bin/env bash
# Checks lam's TensorBoard event files with TensorBoard's own reader (installed with pip into a virtual
# environment, .build-venv-tb/): while a run trains, after it ends, and after a kill -9 and a resume.
#
#   scripts/tensorboard-check.sh [WORKDIR=a new temporary folder]
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
venv="$PWD/.build-venv-tb"
if ! "$venv/bin/python" -c "import tensorboard" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check tensorboard
fi
check() { "$venv/bin/python" "$root/scripts/check_tensorboard.py" "$@"; }
scripts/setup.sh
swift build -c release >/dev/null
lam="$PWD/.build/release/lam"
work="${1:-$(mktemp -d /tmp/lam-tb.XXXXXX)}"
mkdir -p "$work" && cd "$work"

"$lam" generate --env paper-4x4-agent --episodes 300 --steps 16 --seed 0 --out data --force >/dev/null
args=(--data data --out run --force --bottleneck vq --codes 8 --batch 64 --threads 1
      --set train.logEvery=20 --set train.evalEvery=100 --set train.checkpointEvery=50)

# 1. While training: the lines written so far are already in the event files.
"$lam" train "${args[@]}" --steps 20000 >/dev/null &
pid=$!
until [ "$( { wc -l < run/metrics.jsonl; } 2>/dev/null || echo 0)" -ge 5 ]; do sleep 0.2; done
check run --prefix
kill -0 "$pid" 2>/dev/null || { echo "FAIL: training ended before the live read; make it longer"; exit 1; }
echo "(read while training ran)"

# 2. A kill -9 between checkpoints, then a resume to the end: the same curves, no step twice.
sleep 1
kill -9 "$pid"; wait "$pid" 2>/dev/null || true
"$lam" train --resume run --steps 6000 >/dev/null
check run
ls run/tb
