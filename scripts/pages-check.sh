#!/usr/bin/env bash
# The HTML pages in a real browser (docs/reliability.md): makes a small run (generate, train, probe, report),
# a quick sweep with its pages (`sweep collect --reports`) and a comparison of two of the sweep's runs
# (`lam compare`), runs the checker's self-test, then scripts/check-pages.sh on the run's report, the sweep's
# index (which links every run's report) and the comparison. Screenshots are kept in SHOTS; the work folder
# is removed when every page passed and kept for a look otherwise.
#
#   scripts/pages-check.sh [SHOTS=/tmp/lam-pages]
set -euo pipefail
cd "$(dirname "$0")/.."
shots="$(mkdir -p "${1:-/tmp/lam-pages}" && cd "${1:-/tmp/lam-pages}" && pwd)"
scripts/setup.sh
swift build -c release >/dev/null
lam="$PWD/.build/release/lam"
scripts="$PWD/scripts"
# agent-strong's --quick grid is the fastest of experiments/ (6 runs of 150 steps; measured in
# docs/reliability.md).
spec="$PWD/experiments/agent-strong.json"
work=$(mktemp -d /tmp/lam-pages-check.XXXXXX)
status=1
trap '[ "$status" -eq 0 ] && rm -rf "$work" || echo "pages-check: work folder kept: $work" >&2' EXIT

start=$(date +%s)
step() { echo "pages-check: $* ($(( $(date +%s) - start )) s)"; }
# Runs a lam command with its output in the work folder's log, shown only when it fails.
quiet() { "$lam" "$@" >>"$work/log" 2>&1 || { tail -n 20 "$work/log" >&2; echo "pages-check: failed: lam $*" >&2; exit 1; }; }
"$scripts/check-pages-selftest.sh"
cd "$work"
step "run: generate, train, probe, report"
quiet generate --env paper-4x4-agent --episodes 200 --steps 16 --seed 0 --out data
quiet train --data data --out run --steps 300 --threads 2
quiet probe --run run
quiet report --run run
step "sweep: $(basename "$spec") --quick, collect --reports"
quiet sweep run "$spec" --out sweep --quick --jobs 2 --threads 1
quiet sweep collect sweep --reports
step "compare: the sweep's two conditions, seed 0"
quiet compare sweep/runs/vq5-seed0 sweep/runs/vq5-labels-5pct-seed0 --out compare
step "check"
"$scripts/check-pages.sh" --screenshots "$shots" run/report/index.html sweep/index.html compare/index.html
status=0
step "all pages passed; screenshots in $shots"
