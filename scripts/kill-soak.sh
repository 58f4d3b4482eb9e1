#!/usr/bin/env bash
# kill -9 soak (docs/reliability.md): TRIALS random kills of `lam train`, `lam generate` and `lam sweep run`
# (in turn), each followed by what a user does next: resume, rerun, or start over with --force where nothing
# was committed. Every outcome is compared byte for byte with an uninterrupted run, and no staging folder
# or temporary file may be left after the rerun. Prints one line per trial and a summary; exits non-zero
# on any failure.
#
#   scripts/kill-soak.sh [TRIALS=30] [SEED=1] [WORKDIR=a new temporary folder]
set -euo pipefail
cd "$(dirname "$0")/.."
trials="${1:-30}"
RANDOM="${2:-1}"
work="${3:-}"
if [ -z "$work" ]; then
  work=$(mktemp -d /tmp/lam-soak.XXXXXX)
  trap '[ "${failures:-1}" -eq 0 ] && rm -rf "$work"' EXIT  # kept for a look when a trial failed
fi
mkdir -p "$work"
scripts/setup.sh
swift build -c release >/dev/null
lam="$PWD/.build/release/lam"
cd "$work"

# The three workloads, each long enough for kills to land anywhere, with many checkpoints to land in.
train_args=(--data data --steps 3000 --batch 64 --threads 1 --set train.checkpointEvery=5 --set train.logEvery=20
            --set train.evalEvery=200)
gen_args=(--env distractors-8x8 --episodes 1500 --steps 32 --seed 1 --threads 2)
cat > spec.json <<'EOF'
{"description": "soak", "base": {"model": {"hidden": 32}, "train": {"batch": 32, "checkpointEvery": 20}},
 "data": {"episodes": 100, "steps": 16}, "quick": {"episodes": 100, "steps": 16, "trainSteps": 4000},
 "conditions": [{"name": "low", "env": "paper-4x4-noise-low"},
                {"name": "shifted", "env": "paper-4x4-noise-low", "set": {"remedies.augment": "shift"}}],
 "seeds": [0, 1], "probe": {"epochs": 2}, "metrics": ["controllable_loss", "action_probe", "val_recon"]}
EOF

now() { date +%s.%N; }
"$lam" generate --env paper-4x4-agent --episodes 300 --steps 16 --seed 0 --out data >/dev/null
t0=$(now); "$lam" train "${train_args[@]}" --out ref-run >/dev/null; t1=$(now)
"$lam" generate "${gen_args[@]}" --out ref-gen >/dev/null; t2=$(now)
"$lam" sweep run spec.json --out ref-sweep --quick --jobs 2 --threads 1 >/dev/null; t3=$(now)
"$lam" sweep collect ref-sweep >/dev/null
duration() { python3 -c "print($2 - $1)"; }
declare -A seconds=([train]=$(duration "$t0" "$t1") [generate]=$(duration "$t1" "$t2") [sweep]=$(duration "$t2" "$t3"))
echo "uninterrupted: train ${seconds[train]} s, generate ${seconds[generate]} s, sweep ${seconds[sweep]} s; work folder $work"

# metrics.jsonl without the throughput, the one field that depends on the clock.
metrics() { sed -E 's/"samples_per_s":[^,}]*,?//' "$1"; }
same_run() {
  for f in checkpoint.safetensors training-state.safetensors config.json split.json run.json; do
    cmp -s "ref-run/$f" "$1/$f" || { echo "$f differs"; return; }
  done
  diff -q <(metrics ref-run/metrics.jsonl) <(metrics "$1/metrics.jsonl") >/dev/null || { echo "metrics.jsonl differs"; return; }
  echo same
}
same_dataset() {
  for f in ref-gen/*.npy ref-gen/dataset.json; do
    cmp -s "$f" "$1/$(basename "$f")" || { echo "$(basename "$f") differs"; return; }
  done
  echo same
}
leftovers() {
  find . \( -name '.*.tmp-*' -o -name '.*.partial-*' -o -name '.*.old-*' -o -name 'training-state.next.safetensors' \) \
    -print | head -n 3 | tr '\n' ' '
}

failures=0
declare -A resumed=([train]=0 [generate]=0 [sweep]=0) total=([train]=0 [generate]=0 [sweep]=0)
for i in $(seq 1 "$trials"); do
  kinds=(train generate sweep)
  kind=${kinds[$(( (i - 1) % 3 ))]}
  total[$kind]=$(( total[$kind] + 1 ))
  delay=$(python3 -c "print(round($RANDOM / 32767 * 1.1 * ${seconds[$kind]}, 3))")
  out="$kind-$i"
  case $kind in
    train) "$lam" train "${train_args[@]}" --out "$out" >/dev/null 2>&1 & ;;
    generate) "$lam" generate "${gen_args[@]}" --out "$out" >/dev/null 2>&1 & ;;
    sweep) "$lam" sweep run spec.json --out "$out" --quick --jobs 2 --threads 1 >/dev/null 2>&1 & ;;
  esac
  pid=$!
  sleep "$delay"
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  # A killed sweep's runs notice their parent is gone and stop at their next step: wait for them.
  for _ in $(seq 1 600); do pgrep -f -- "--out $work/$out" >/dev/null || break; sleep 0.1; done

  case $kind in
    train)
      pending=""
      [ -f "$out/training-state.next.safetensors" ] && pending=", save cut"
      if [ -f "$out/checkpoint.safetensors" ]; then
        found="checkpoint at step $(python3 -c "import json,struct,sys; f=open('$out/checkpoint.safetensors','rb'); n=struct.unpack('<Q',f.read(8))[0]; print(json.loads(f.read(n))['__metadata__']['step'])")$pending"
        recovery=resume; "$lam" train --resume "$out" >/dev/null 2>err.txt || recovery="resume FAILED: $(cat err.txt)"
        resumed[train]=$(( resumed[train] + 1 ))
      elif [ -d "$out" ]; then
        found="no checkpoint"; recovery="start over"
        "$lam" train "${train_args[@]}" --out "$out" --force >/dev/null 2>err.txt || recovery="start over FAILED: $(cat err.txt)"
      else
        found="nothing"; recovery=start
        "$lam" train "${train_args[@]}" --out "$out" >/dev/null 2>err.txt || recovery="start FAILED: $(cat err.txt)"
      fi
      verdict=$(same_run "$out") ;;
    generate)
      if [ -d "$out" ]; then
        found="committed ($(same_dataset "$out"))"; recovery="rerun --force"
        "$lam" generate "${gen_args[@]}" --out "$out" --force >/dev/null 2>err.txt || recovery="rerun FAILED: $(cat err.txt)"
        resumed[generate]=$(( resumed[generate] + 1 ))
      else
        found="nothing"; recovery=rerun
        "$lam" generate "${gen_args[@]}" --out "$out" >/dev/null 2>err.txt || recovery="rerun FAILED: $(cat err.txt)"
      fi
      verdict=$(same_dataset "$out")
      [[ $found == committed* && $found != "committed (same)" ]] && verdict="committed folder differed"
      ;;
    sweep)
      found="$(ls "$out/runs" 2>/dev/null | grep -c '\.log$' || true) runs started"
      recovery=rerun
      "$lam" sweep run spec.json --out "$out" --quick --jobs 2 --threads 1 >/dev/null 2>err.txt || recovery="rerun FAILED: $(cat err.txt)"
      "$lam" sweep collect "$out" >/dev/null 2>&1 || true
      resumed[sweep]=$(( resumed[sweep] + 1 ))
      if cmp -s ref-sweep/results.csv "$out/results.csv"; then verdict=same; else verdict="results.csv differs"; fi ;;
  esac
  left=$(leftovers)
  status=ok
  if [[ $verdict != same || $recovery == *FAILED* || -n $left ]]; then status=FAIL; failures=$(( failures + 1 )); fi
  printf '%2d %-8s kill at %6.3f s: %-38s -> %-12s %s%s %s\n' "$i" "$kind" "$delay" "$found" "$recovery" "$verdict" \
    "${left:+, leftovers: $left}" "$status"
  rm -rf "$out"
done
echo "kill soak: $trials trials (train ${total[train]}, generate ${total[generate]}, sweep ${total[sweep]}), $failures failed;" \
  "resumed or rerun over committed work: train ${resumed[train]}, generate ${resumed[generate]}, sweep ${resumed[sweep]}"
[ "$failures" -eq 0 ]
