#!/usr/bin/env bash
# Installs what is missing, builds in release mode, and runs the main job end to end on a small default.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release
lam=".build/release/lam"
"$lam" --version
