#!/usr/bin/env bash
# Regenerates every sweep table and chart of docs/results.md with one command:
#
#   scripts/results.sh [OUT]            # OUT defaults to checkpoints/results; about 2.5 hours on 2 cores
#   scripts/results.sh --quick [OUT]    # every spec at its quick sizes (a minute); OUT/tables.md only
#
# Each section of the page is one sweep spec of experiments/ (the list below, in page order). For each, the
# script runs `lam sweep run SPEC --out OUT/NAME` (finished runs are skipped, so a rerun continues), then
# `lam sweep collect OUT/NAME` (with --reports where the spec has a swap_accuracy metric), and takes the mean and
# findings tables from OUT/NAME/summary.md; for the sections listed in `probe_tables`, also the table of what
# the runs' probe.json files hold beyond them (scripts/probe-table.py, as block NAME-probes). The blocks go to
# OUT/tables.md and, without --quick, into docs/results.md between the section's markers
#   <!-- results: NAME -->  ...  <!-- /results: NAME -->
# and every chart the page shows as results/NAME-METRIC.png is copied from OUT/NAME/plots/METRIC.png.
# Each run's thread count is fixed here (not taken from the machine), so a rerun on any machine of the same
# kind writes the same numbers; OUT/runtimes.md records each section's wall-clock time.
# LAM=path/to/lam uses that binary instead of building; ONLY="name ..." runs only those sections;
# JOBS sets how many runs go at once (default 2; it changes no number).
set -euo pipefail
cd "$(dirname "$0")/.."
quick=""
if [ "${1:-}" = "--quick" ]; then quick="--quick"; shift; fi
out="${1:-checkpoints/results${quick:+-quick}}"
if [ -z "${LAM:-}" ]; then
  swift build -c release >&2
  LAM=.build/release/lam
fi
jobs="${JOBS:-2}"
mkdir -p "$out/blocks"
: > "$out/tables.md"
: > "$out/runtimes.md"

if ! command -v python3 >/dev/null 2>&1; then scripts/apt-install.sh results.sh python3; fi

# The page's sections: spec name and the training threads of each run.
sections=(
  "clean-grid 1"
  "agent-strong 1"
  "paper-section5-no-warmup 1"
  "lock-in 1"
  "paper-section5 1"
  "noise-ladder 1"
  "rich-presets 1"
  "rich-region 1"
  "unet-clean 1"
  "paper-section5-unet 1"
  "bottlenecks 1"
  "bottlenecks-clean 2"
  "portable-latents 1"
)
# The sections whose probe.json files get a table of their own.
probe_tables=" rich-presets "

# tables FILE: the "## Metrics" and "## Findings" tables of a summary.md, each followed by a blank line.
tables() {
  awk '
    /^## (Metrics|Findings)/ { keep = 1; next }
    /^## / { keep = 0 }
    keep && /^\|/ { print; table = 1; next }
    table && !/^\|/ { print ""; table = 0 }
  ' "$1"
}

for entry in "${sections[@]}"; do
  read -r name threads <<< "$entry"
  if [ -n "${ONLY:-}" ] && [[ " $ONLY " != *" $name "* ]]; then continue; fi
  echo "== $name: lam sweep run experiments/$name.json --threads $threads $quick" >&2
  start=$SECONDS
  "$LAM" sweep run "experiments/$name.json" --out "$out/$name" --jobs "$jobs" --threads "$threads" $quick \
    > "$out/$name.log" 2>&1 || { echo "lam sweep run experiments/$name.json failed; see $out/$name.log" >&2; exit 1; }
  # Reports only where the swap test is a column: they take longer than the collect itself.
  reports=""
  if grep -q '"swap_accuracy' "experiments/$name.json"; then reports="--reports"; fi
  "$LAM" sweep collect "$out/$name" $reports >> "$out/$name.log" 2>&1 \
    || { echo "lam sweep collect $out/$name failed; see $out/$name.log" >&2; exit 1; }
  echo "| $name | $((SECONDS - start)) s |" >> "$out/runtimes.md"
  tables "$out/$name/summary.md" > "$out/blocks/$name.md"
  printf '### %s\n\n' "$name" >> "$out/tables.md"
  cat "$out/blocks/$name.md" >> "$out/tables.md"
  if [[ "$probe_tables" == *" $name "* ]]; then
    { python3 scripts/probe-table.py "$out/$name"; echo; } > "$out/blocks/$name-probes.md"
    printf '### %s-probes\n\n' "$name" >> "$out/tables.md"
    cat "$out/blocks/$name-probes.md" >> "$out/tables.md"
  fi
done

if [ -n "$quick" ]; then
  echo "tables in $out/tables.md, runtimes in $out/runtimes.md" >&2
  exit 0
fi

# Put each regenerated block between its markers in docs/results.md (other sections stay as they are).
page=docs/results.md
awk -v blocks="$out/blocks" '
  match($0, /^<!-- results: [A-Za-z0-9_.-]+ -->$/) {
    print
    name = substr($0, 15, length($0) - 18)
    file = blocks "/" name ".md"
    if ((getline line < file) > 0) {
      print line
      while ((getline line < file) > 0) print line
      close(file)
      skipping = 1
    }
    next
  }
  /^<!-- \/results: / { skipping = 0 }
  !skipping { print }
' "$page" > "$out/results.md.new"
mv "$out/results.md.new" "$page"

# Copy the charts the page shows: results/NAME-METRIC.png from OUT/NAME/plots/METRIC.png.
for entry in "${sections[@]}"; do
  read -r name _ <<< "$entry"
  [ -f "$out/blocks/$name.md" ] || continue
  { grep -o "results/$name-[a-z_]*\.png" "$page" || true; } | sort -u | while read -r chart; do
    metric="${chart#results/$name-}"
    cp "$out/$name/plots/$metric" "docs/$chart"
  done
done
echo "tables in $out/tables.md and $page, runtimes in $out/runtimes.md" >&2
