#!/usr/bin/env bash
# Installs what is missing, then runs the whole test suite (release build: the numeric tests
# run 10-50x faster optimized, and the suite uses no @testable imports).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# The tests' scratch folders (and the build's temporary files) go to one folder of their own, removed after.
scratch=$(mktemp -d "${TMPDIR:-/tmp}/lam-tests.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
TMPDIR="$scratch" swift test -c release "$@"
