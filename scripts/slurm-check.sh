#!/usr/bin/env bash
# The quick Section-5 sweep through a real single-node Slurm cluster (scripts/slurm-local.sh), checked
# against a local run:
#   1. builds lam (swift build -c release; LAM=path uses that binary instead), runs
#      `lam sweep run experiments/paper-section5.json --quick --threads 1` locally and collects it;
#   2. on the cluster: `lam sweep emit --slurm --quick --cpus 1` (1 thread per task, like the local run, so
#      two array tasks share the two cores), a run folder holding only a damaged checkpoint (what a crash
#      can leave) planted for run 12, submit.sh, array task 7 cancelled while pending; waits for the jobs (10 minutes at most), then `collect` must
#      report 28 finished, 1 failed (and Slurm's completion log FAILED), 1 missing;
#   3. the bad run folder removed, submit.sh again: it must submit only those two runs, after which
#      results.csv is byte-identical to the local one, and a third submit.sh must submit nothing.
# Needs root (the cluster's daemons); 70-90 s on 2 cores after the build.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" != on-cluster ]; then
  started=$(date +%s)
  if [ -z "${LAM:-}" ]; then
    swift build -c release
    LAM=$PWD/.build/release/lam
  fi
  export LAM=$(realpath "$LAM")
  scripts/slurm-local.sh run "$0" on-cluster
  echo "slurm-check: passed in $(( $(date +%s) - started )) s"
  exit 0
fi

spec=experiments/paper-section5.json
work=$(mktemp -d /tmp/lam-slurm-check.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() {
  echo "slurm-check: $1" >&2
  exit 1
}

# Waits until no job is left in the queue; gives up after 10 minutes, naming what is still there.
wait_for_jobs() {
  local deadline=$(( $(date +%s) + 600 ))
  while [ -n "$(squeue -h -o %i)" ]; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      squeue >&2
      fail "jobs still queued or running after 10 minutes (slurmd's log: $SLURM_LOCAL_DIR/slurmd.log)"
    fi
    sleep 2
  done
}

# The array job id submit.sh printed ("submitted dataset job D and run array R (...)").
array_job() { sed -n 's/^submitted dataset job [0-9]* and run array \([0-9]*\) .*/\1/p' <<<"$1"; }

t0=$(date +%s)
"$LAM" sweep run "$spec" --quick --threads 1 --out "$work/local" >"$work/local.out" || { cat "$work/local.out"; fail "the local sweep failed"; }
"$LAM" sweep collect "$work/local" >/dev/null
echo "slurm-check: local sweep done in $(( $(date +%s) - t0 )) s"

t0=$(date +%s)
out=$work/cluster
"$LAM" sweep emit "$spec" --quick --out "$out" --slurm --cpus 1 --time 00:10:00 >/dev/null
grep -q '^#SBATCH --cpus-per-task=1$' "$out/slurm/runs.sbatch" || fail "runs.sbatch does not ask for 1 CPU per task"
mapfile -t names < <("$LAM" sweep list "$spec" --quick | cut -d' ' -f2)
count=${#names[@]}
# Run 12: a folder with only a damaged checkpoint, which its task refuses (not a run folder). Run 7: cancelled
# before it starts.
mkdir -p "$out/runs/${names[12]}"
head -c 100 /dev/urandom >"$out/runs/${names[12]}/checkpoint.safetensors"
first=$(bash "$out/slurm/submit.sh")
echo "$first"
job=$(array_job "$first")
[ -n "$job" ] || fail "submit.sh did not print the array's job id"
grep -q "(runs 0-$((count - 1)) of 0-$((count - 1)))" <<<"$first" || fail "the first submit.sh did not submit every run"
scancel "${job}_7"
wait_for_jobs
collect=$("$LAM" sweep collect "$out")
grep -q "^$count runs: $((count - 2)) finished, 1 failed, 1 missing$" <<<"$collect" \
  || { echo "$collect"; fail "collect after the first array: expected $((count - 2)) finished, 1 failed, 1 missing"; }
grep "failed: ${names[12]}: " <<<"$collect" || fail "collect does not name the failed run ${names[12]}"
grep -q "JobState=FAILED .*ArrayJobId=$job ArrayTaskId=12 " "$SLURM_LOCAL_DIR/jobcomp.log" \
  || fail "Slurm's completion log has no FAILED state for task 12 of array $job"
[ -s "$out/slurm/run-${job}_12.out" ] || fail "task 12 left no log in $out/slurm/"
echo "slurm-check: first submission done in $(( $(date +%s) - t0 )) s: run 12 failed, run 7 cancelled, as planted"

t0=$(date +%s)
rm -rf "$out/runs/${names[12]}"
second=$(bash "$out/slurm/submit.sh")
echo "$second"
job=$(array_job "$second")
grep -q "(runs 7,12 of 0-$((count - 1)))" <<<"$second" || fail "the resubmission did not submit exactly runs 7 and 12"
wait_for_jobs
[ "$(grep -c "ArrayJobId=$job " "$SLURM_LOCAL_DIR/jobcomp.log")" -eq 2 ] || fail "the resubmitted array did not run 2 tasks"
grep "ArrayJobId=$job " "$SLURM_LOCAL_DIR/jobcomp.log" | grep -v -q "JobState=COMPLETED" && fail "a resubmitted task did not complete"
collect=$("$LAM" sweep collect "$out")
grep -q "^$count runs: $count finished, 0 failed, 0 missing$" <<<"$collect" || { echo "$collect"; fail "collect after the resubmission"; }
cmp "$work/local/results.csv" "$out/results.csv" || fail "results.csv from Slurm differs from the local run's"
third=$(bash "$out/slurm/submit.sh")
grep -q "^all $count runs are finished" <<<"$third" || fail "a third submit.sh submitted something: $third"
[ -z "$(squeue -h -o %i)" ] || fail "a third submit.sh queued a job"
echo "slurm-check: resubmission of runs 7 and 12 done in $(( $(date +%s) - t0 )) s; results.csv identical to the local run's"
