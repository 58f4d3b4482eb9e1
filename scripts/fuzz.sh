#!/usr/bin/env bash
# Fuzzes the files and flags lam reads: scripts/fuzz.sh [CASES=100000] [SEED=1] [JOBS=2]
#
# Runs the test fuzzedFilesAndFlagsNeverCrashLam (Tests/CLITests/FuzzTests.swift) with CASES seeded cases
# on JOBS workers, then prints its report: the counts by target and command, and every distinct crash,
# hang or multi-line rejection with a reproducer. 100,000 cases take about an hour on two cores.
# Replay one case (and keep its mutated fixture folder) with
#   LAM_FUZZ_SEED=S LAM_FUZZ_CASE=N swift test -c release --filter fuzzedFilesAndFlagsNeverCrashLam
set -uo pipefail
cd "$(dirname "$0")/.."

cases="${1:-100000}"
seed="${2:-1}"
jobs="${3:-2}"
for value in "$cases" "$seed" "$jobs"; do
  [[ "$value" =~ ^[0-9]+$ ]] || { echo "usage: scripts/fuzz.sh [CASES=100000] [SEED=1] [JOBS=2]" >&2; exit 2; }
done

scripts/setup.sh || exit 1
report="$(mktemp "${TMPDIR:-/tmp}/lam-fuzz-report.XXXXXX")"
log="${report}.log"

LAM_FUZZ_CASES="$cases" LAM_FUZZ_SEED="$seed" LAM_FUZZ_JOBS="$jobs" LAM_FUZZ_REPORT="$report" LAM_FUZZ_LOG="$log" \
  swift test -c release --filter fuzzedFilesAndFlagsNeverCrashLam
status=$?

echo
if [ -s "$report" ]; then
  cat "$report"
  echo
  echo "report: $report"
  echo "one line per command run: $log"
else
  echo "fuzz: no report was written (did the build fail?)" >&2
fi
exit "$status"
