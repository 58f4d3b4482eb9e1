#!/usr/bin/env bash
# Regenerates every table and figure of docs/linear-lab.md with one command:
#
#   scripts/linear-results.sh [OUT]        # OUT defaults to checkpoints/linear-results
#
# Each `lam linear` command the page quotes runs into OUT/<name>/ (results.csv, summary.csv, figure);
# OUT/tables.md gets every table (means over seeds from summary.csv), OUT/runtimes.md each command's
# wall-clock time, and the figures are copied to docs/linear-lab/. Runs are seeded and single-threaded
# (--threads only spreads them), so a rerun writes a byte-identical tables.md.
# LAM=path/to/lam uses that binary instead of building; ONLY="name ..." runs only those sections.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-checkpoints/linear-results}"
if [ -z "${LAM:-}" ]; then
  swift build -c release
  LAM=.build/release/lam
fi
mkdir -p "$out"
: > "$out/tables.md"
: > "$out/runtimes.md"

# pivot NAME ROWKEYS XKEY "XVALUES" "METRICS": one markdown table from OUT/NAME/summary.csv, a row per
# distinct ROWKEYS, and per metric the means at the XVALUES joined by " / ".
pivot() {
  awk -F, -v rows="$2" -v xkey="$3" -v xs="$4" -v metrics="$5" '
    function show(v) {
      if (v == "") return "-"
      if (v < 1e-6 && v > -1e-6) return "0"
      if (v < 0.001 && v > -0.001) return sprintf("%.0e", v)
      return sprintf("%.3f", v)
    }
    BEGIN { nr = split(rows, R, " "); nx = split(xs, X, " "); nm = split(metrics, M, " ") }
    NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    {
      key = ""
      for (r = 1; r <= nr; r++) key = key (r > 1 ? " | " : "") $(col[R[r]])
      if (!(key in seen)) { seen[key] = 1; order[++nk] = key }
      for (m = 1; m <= nm; m++) value[key, $(col[xkey]), m] = $(col[M[m] "_mean"])
    }
    END {
      line = "|"; rule = "|"
      for (r = 1; r <= nr; r++) { line = line " " R[r] " |"; rule = rule "---|" }
      line = line " " xkey " |"; rule = rule "---|"
      for (m = 1; m <= nm; m++) { line = line " " M[m] " |"; rule = rule "---|" }
      print line; print rule
      for (k = 1; k <= nk; k++) {
        line = "| " order[k] " | " X[1]
        for (x = 2; x <= nx; x++) line = line " / " X[x]
        line = line " |"
        for (m = 1; m <= nm; m++) {
          cell = show(value[order[k], X[1], m])
          for (x = 2; x <= nx; x++) cell = cell " / " show(value[order[k], X[x], m])
          line = line " " cell " |"
        }
        print line
      }
    }' "$out/$1/summary.csv"
}

# section NAME FIGURE ARGS...: runs `lam linear ARGS --out OUT/NAME`, records its runtime, copies its figure.
section() {
  local name=$1 figure=$2
  shift 2
  if [ -n "${ONLY:-}" ] && [[ " $ONLY " != *" $name "* ]]; then return 1; fi
  echo "== $name: lam linear $*" >&2
  local start=$SECONDS
  # (set -e does not reach into an if condition: stop on a failure explicitly.)
  "$LAM" linear "$@" --out "$out/$name" --force 2> "$out/$name.log" > /dev/null \
    || { echo "lam linear $* failed; see $out/$name.log" >&2; tail -n 3 "$out/$name.log" >&2; exit 1; }
  local seconds=$((SECONDS - start))
  echo "| $name | \`lam linear $*\` | $(grep -c '^\[' "$out/$name.log") | $seconds s |" >> "$out/runtimes.md"
  echo "   $(tail -n 1 "$out/$name.log")" >&2
  cp "$out/$name/$figure" "docs/linear-lab/$name.png"
  printf '\n### %s\n\n    lam linear %s\n\n' "$name" "$*" >> "$out/tables.md"
}

dz5="2 4 8 12 16"
if section figure3 sweep.png --sweep dz=2..16 --setting all --seeds 3; then
  pivot figure3 "setting" d_z "$dz5" "llo action_mse obs_mse noise_mse" >> "$out/tables.md"
fi
if section figure3-z sweep.png --sweep dz=2,8,16 --setting all --seeds 3 --probe z; then
  pivot figure3-z "setting" d_z "2 8 16" "llo action_mse obs_mse noise_mse" >> "$out/tables.md"
fi
if section figure3-noise-free sweep.png --sweep dz=2,4,8,12,16 --setting all --seeds 3 --eval-noise-free; then
  pivot figure3-noise-free "setting" d_z "$dz5" "llo action_mse obs_mse" >> "$out/tables.md"
fi
if section action-dim sweep.png --sweep dz=2..16:2 --sweep da=2,4,8,16 --setting none; then
  pivot action-dim "d_a" d_z "2 4 6 8 10 12 14 16" "action_mse pca_action_mse" >> "$out/tables.md"
fi
if section convergence convergence.png --experiment convergence; then
  pivot convergence "setting d_z" steps "1000 3000 12000 40000" "angle_deg recon_gap action_mse llo" >> "$out/tables.md"
  cp "$out/convergence/loss.png" docs/linear-lab/convergence-loss.png
fi
if section variance variance.png --experiment variance; then
  pivot variance "sigma" d_z "$dz5" "action_mse noise_mse pca_action_mse" >> "$out/tables.md"
fi
if section augmentation augmentation.png --experiment augmentation; then
  pivot augmentation "kappa" d_z "2 4 8 9 12 16" "obs_mse action_mse" >> "$out/tables.md"
fi
if section labels labels.png --experiment labels; then
  pivot labels "d_z" label_fraction "0 0.01 0.05 0.1" "action_mse noise_mse recon_mse" >> "$out/tables.md"
fi
if section cleaning cleaning.png --experiment cleaning; then
  pivot cleaning "sigma" clean "0 0.1 0.2 0.3 0.4 0.5" "action_mse pca_action_mse angle_deg" >> "$out/tables.md"
fi
if section policy policy.png --experiment policy; then
  pivot policy "learn_a eval_random_actions" chi "0 0.2 0.4 0.6 0.8 1" "action_mse pca_action_mse" >> "$out/tables.md"
fi
echo "tables in $out/tables.md, runtimes in $out/runtimes.md, figures in docs/linear-lab/" >&2
