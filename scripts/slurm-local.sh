#!/usr/bin/env bash
# A single-node Slurm cluster on this machine, for trying `lam sweep emit --slurm` scripts and for CI:
#
#   scripts/slurm-local.sh run CMD [ARG...]
#
# installs slurm-wlm and munge (Debian 12's 22.05) when missing, then, everything under a new temporary
# folder: a munge key and its own munged; a slurm.conf for this host (NodeName = `hostname -s`, CPUs from
# nproc, RealMemory from /proc/meminfo, cores and memory as consumable resources so that array tasks run side
# by side); slurmctld and slurmd. Once `sinfo` shows the node idle it runs CMD with SLURM_CONF set (so sbatch,
# squeue, scontrol and scancel reach this cluster) and SLURM_LOCAL_DIR = the temporary folder, whose
# jobcomp.log has one line per ended job (JobId=... JobState=...; there is no accounting, so no sacct). On
# exit, CMD's or an error's, it cancels the jobs left, stops the daemons it started and removes the folder;
# the exit status is CMD's. Nothing in /etc is changed and the daemons Debian's packages install are not used.
# Needs root (the daemons run as root). SLURM_LOCAL_PORT (default 6817) moves slurmctld's port; slurmd uses
# the next one. For a shell on the cluster: scripts/slurm-local.sh run bash
set -euo pipefail

if [ "${1:-}" != run ] || [ $# -lt 2 ]; then
  echo "usage: scripts/slurm-local.sh run CMD [ARG...]" >&2
  exit 2
fi
shift
if [ "$(id -u)" -ne 0 ]; then
  echo "slurm-local: needs root (slurmd and munged run as root here)" >&2
  exit 1
fi

missing=()
for tool in slurmctld:slurm-wlm slurmd:slurm-wlm sbatch:slurm-client munged:munge; do
  command -v "${tool%%:*}" >/dev/null 2>&1 || missing+=("${tool#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
  "$(dirname "$0")/apt-install.sh" slurm-local $(printf '%s\n' "${missing[@]}" | sort -u)
fi

dir=$(mktemp -d /tmp/slurm-local.XXXXXX)
chmod 700 "$dir"
pids=()
stop() {
  local status=$?
  if [ -f "$dir/slurm.conf" ] && [ ${#pids[@]} -gt 0 ]; then
    # Cancel what is left, so no job step outlives its slurmd.
    SLURM_CONF="$dir/slurm.conf" scancel --quiet --full --user=root 2>/dev/null || true
    for _ in $(seq 30); do
      [ -z "$(SLURM_CONF="$dir/slurm.conf" squeue -h -o %i 2>/dev/null)" ] && break
      sleep 1
    done
    # Each job step's slurmstepd keeps a socket in the spool folder until it has exited.
    for _ in $(seq 100); do
      compgen -G "$dir/spool/*_*" >/dev/null || break
      sleep 0.1
    done
  fi
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$dir"
  exit "$status"
}
trap stop EXIT
trap 'exit 130' INT TERM

fail() {
  echo "slurm-local: $1" >&2
  for log in munged.log slurmctld.log slurmd.log; do
    [ -s "$dir/$log" ] && { echo "--- $log (last lines)" >&2; tail -n 15 "$dir/$log" >&2; }
  done
  exit 1
}

# munge: a fresh key and a daemon of our own on its own socket.
mkdir -m 700 "$dir/munge"
head -c 1024 /dev/urandom >"$dir/munge/munge.key"
chmod 400 "$dir/munge/munge.key"
socket="$dir/munge/munge.socket"
munged --foreground --force --key-file="$dir/munge/munge.key" --socket="$socket" --pid-file="$dir/munge/munged.pid" \
  --seed-file="$dir/munge/munged.seed" --log-file="$dir/munged.log" 2>>"$dir/munged.log" &
pids+=($!)
for _ in $(seq 50); do [ -S "$socket" ] && break; sleep 0.1; done
[ -S "$socket" ] || fail "munged did not start"
munge --socket="$socket" -n | unmunge --socket="$socket" >/dev/null || fail "munge cannot encode and decode a credential"

host=$(hostname -s)
cpus=$(nproc)
memory=$(awk '/^MemTotal:/ { print int($2 / 1024 * 0.9) }' /proc/meminfo)  # MB, leaving 10% to the system
port=${SLURM_LOCAL_PORT:-6817}
mkdir -p "$dir/state" "$dir/spool"
cat >"$dir/slurm.conf" <<EOF
ClusterName=lamlocal
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SwitchType=switch/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SlurmdParameters=config_overrides
SchedulerType=sched/backfill
ReturnToService=2
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/filetxt
JobCompLoc=$dir/jobcomp.log
MinJobAge=30
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$dir/slurm.conf"

slurmctld -D -i -f "$SLURM_CONF" >>"$dir/slurmctld.log" 2>&1 &
pids+=($!)
slurmd -D -f "$SLURM_CONF" >>"$dir/slurmd.log" 2>&1 &
pids+=($!)
for i in $(seq 60); do
  state=$(sinfo -h -N -o %T 2>/dev/null || true)
  [ "$state" = idle ] && break
  [ "$i" -eq 60 ] && fail "the node is not idle after 30 s (sinfo: '${state:-no answer}')"
  sleep 0.5
done
echo "slurm-local: node $host idle ($cpus CPUs, $memory MB) in $dir"
export SLURM_LOCAL_DIR="$dir"
"$@"
