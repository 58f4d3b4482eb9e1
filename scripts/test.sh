#!/usr/bin/env bash
# Installs what is missing, then runs the whole test suite (release build: the numeric tests
# run 10-50x faster optimized, and the suite uses no @testable imports).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift test -c release "$@"
