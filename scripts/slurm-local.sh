#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for the tests (Debian's slurmctld, slurmd, munge):
#   bash scripts/slurm-local.sh start DIR   writes DIR/slurm.conf and a munge key, starts munged,
#                                           slurmctld and slurmd (pids in DIR/*.pid), waits for the
#                                           node; prints the line to export: SLURM_CONF=DIR/slurm.conf
#   bash scripts/slurm-local.sh stop DIR    stops those three daemons by their pids
# No cgroups are needed (proctrack/linuxproc, task/none), nor accounting; state and spool in DIR.
set -euo pipefail
cmd=${1:?start or stop}
dir=$(realpath -m "${2:?a folder}")

stop_pid() { # the pid in a file, if that process is still alive
  [ -f "$1" ] || return 0
  local pid
  pid=$(cat "$1")
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$1"
}

if [ "$cmd" = stop ]; then
  stop_pid "$dir/slurmd.pid"
  stop_pid "$dir/slurmctld.pid"
  stop_pid "$dir/munged.pid"
  exit 0
fi

for b in munged mungekey slurmctld slurmd sbatch; do
  command -v "$b" >/dev/null || { echo "slurm-local: $b is not installed (apt-get install slurmctld slurmd slurm-client munge)" >&2; exit 3; }
done
mkdir -p "$dir"/{munge,state,spool,log}
chmod 700 "$dir/munge"
user=$(id -un)
host=$(hostname -s)
cpus=$(nproc)
base=$(( 20000 + ($$ % 20000) ))
[ -f "$dir/munge/munge.key" ] || mungekey --create --keyfile="$dir/munge/munge.key" >/dev/null 2>&1 ||
  dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 2>/dev/null
chmod 600 "$dir/munge/munge.key"
cat > "$dir/slurm.conf" <<CONF
ClusterName=gradscope-test
SlurmctldHost=$host(127.0.0.1)
SlurmUser=$user
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket
CredType=cred/munge
SlurmctldPort=$base
SlurmdPort=$(( base + 1 ))
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ReturnToService=2
MpiDefault=none
JobRequeue=1
MinJobAge=86400
KillWait=5
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
CONF
export SLURM_CONF=$dir/slurm.conf

munged --socket="$dir/munge/munge.socket" --key-file="$dir/munge/munge.key" \
  --pid-file="$dir/munged.pid" --log-file="$dir/log/munged.log" --seed-file="$dir/munge/seed" --force
slurmctld -f "$dir/slurm.conf" -i
slurmd -f "$dir/slurm.conf" -N "$host"
for _ in $(seq 100); do
  state=$(sinfo -h -N -o '%t' 2>/dev/null | head -1 || true)
  case "$state" in idle|mix|alloc) echo "SLURM_CONF=$dir/slurm.conf"; exit 0 ;; esac
  sleep 0.2
done
echo "slurm-local: the node did not come up (state: ${state:-none}); logs:" >&2
tail -n 5 "$dir"/log/*.log >&2 || true
exit 4
