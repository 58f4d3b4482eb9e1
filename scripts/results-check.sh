#!/usr/bin/env bash
# Checks that docs/results.md's tables are reproducible, at the specs' quick sizes:
#   1. `scripts/results.sh --quick` (every section's sweep, a few minutes) writes tables equal to the stored
#      quick result, experiments/results-quick.md: byte for byte on a machine like the one that stored it;
#      elsewhere (other BLAS kernels round differently) every number within 10% + 0.01, verdicts not compared;
#   2. two sections rerun into a fresh folder write byte-identical tables (same seed, same threads).
# scripts/results-check.sh --store rewrites experiments/results-quick.md from this machine instead.
# LAM=path/to/lam uses that binary instead of building.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${LAM:-}" ]; then
  swift build -c release >&2
  LAM=.build/release/lam
fi
export LAM
stored=experiments/results-quick.md
work=$(mktemp -d "${TMPDIR:-/tmp}/lam-results-check.XXXXXX")
trap 'rm -rf "$work"' EXIT

scripts/results.sh --quick "$work/a" 2> "$work/a.log" || { cat "$work/a.log" >&2; exit 1; }
if [ "${1:-}" = "--store" ]; then
  cp "$work/a/tables.md" "$stored"
  echo "stored $stored"
  exit 0
fi

if cmp -s "$work/a/tables.md" "$stored"; then
  echo "ok results: the quick tables equal $stored byte for byte ($(grep -c '^| ' "$stored") table lines)"
else
  # Cell by cell: the numbers within tolerance and the words equal; a findings row's verdict is left out.
  awk -v stored="$stored" '
    function numbers(cell, out,    n) {
      n = 0
      while (match(cell, /[-+]?[0-9]+(\.[0-9]+)?(e[-+]?[0-9]+)?/)) {
        out[++n] = substr(cell, RSTART, RLENGTH) + 0
        cell = substr(cell, RSTART + RLENGTH)
      }
      return n
    }
    function words(cell) { gsub(/[-+]?[0-9]+(\.[0-9]+)?(e[-+]?[0-9]+)?/, "#", cell); return cell }
    {
      if ((getline want < stored) <= 0) { print "results-check: more lines than " stored; bad = 1; exit }
      line++
      if ($0 == want) next
      nc = split($0, got, "|"); nw = split(want, ref, "|")
      if (nc != nw) { print "results-check: line " line " differs: " $0 " (stored: " want ")"; bad = 1; next }
      verdict = ($0 ~ /\| (yes|no|within noise|n\/a[^|]*) \|$/) ? nc - 1 : 0
      for (c = 1; c <= nc; c++) {
        if (c == verdict || got[c] == ref[c]) continue
        if (words(got[c]) != words(ref[c])) { print "results-check: line " line " differs: " $0 " (stored: " want ")"; bad = 1; break }
        n = numbers(got[c], a); numbers(ref[c], b)
        for (i = 1; i <= n; i++) {
          d = a[i] - b[i]; if (d < 0) d = -d
          m = a[i] < 0 ? -a[i] : a[i]; if ((b[i] < 0 ? -b[i] : b[i]) > m) m = (b[i] < 0 ? -b[i] : b[i])
          if (d > 0.01 + 0.1 * m) { print "results-check: line " line ": " a[i] " against the stored " b[i]; bad = 1 }
          if (d > worst) worst = d
        }
      }
    }
    END {
      if (!bad && (getline want < stored) > 0) { print "results-check: fewer lines than " stored; bad = 1 }
      if (bad) exit 1
      printf "ok results: the quick tables equal %s within tolerance (largest difference %.3g; not byte for byte)\n", stored, worst
    }
  ' "$work/a/tables.md" || { diff "$stored" "$work/a/tables.md" | head -n 40 >&2; exit 1; }
fi

ONLY="clean-grid paper-section5" scripts/results.sh --quick "$work/b" 2> "$work/b.log" || { cat "$work/b.log" >&2; exit 1; }
for name in clean-grid paper-section5; do
  cmp "$work/a/blocks/$name.md" "$work/b/blocks/$name.md" \
    || { echo "results-check: a rerun of $name wrote different tables" >&2; exit 1; }
done
echo "ok results: a rerun of clean-grid and paper-section5 wrote byte-identical tables"
