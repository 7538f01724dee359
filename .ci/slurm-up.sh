#!/usr/bin/env bash
# Brings up a one-node Slurm cluster on this machine for calibloop's Slurm tests (CI and development).
#
# Run as root on Debian 12. Idempotent: installs slurm-wlm + munge from Debian when missing, creates the munge key
# when missing, writes /etc/slurm/slurm.conf + cgroup.conf for this host (only if absent or written by this script),
# starts munged, slurmctld and slurmd when they are not running, and waits until the node is idle.
# What it started is recorded in $STATE_DIR/started so that .ci/slurm-down.sh stops exactly that.
#
# Environment (all optional):
#   CALIBLOOP_SLURM_STATE   state dir of this script (default /run/calibloop-slurm)
#   CALIBLOOP_SLURM_CGROUP  auto | yes | no   memory enforcement via cgroups (auto: when the cgroup v1 memory
#                           controller is writable); "no" uses jobacct_gather/linux + OverMemoryKill instead
#   CALIBLOOP_SLURM_MIN_JOB_AGE  seconds slurmctld keeps finished jobs (default 3600; there is no slurmdbd)
#   CALIBLOOP_SLURM_OVERSUBSCRIBE  jobs per core in partition "main" (default 8: short jobs mostly wait on Slurm,
#                           not on the CPU, and slurmctld starts jobs in passes about a second apart)
set -euo pipefail

STATE_DIR="${CALIBLOOP_SLURM_STATE:-/run/calibloop-slurm}"
CONF_DIR=/etc/slurm
CONF="$CONF_DIR/slurm.conf"
CGROUP_CONF="$CONF_DIR/cgroup.conf"
MARKER="# written by calibloop .ci/slurm-up.sh"
SPOOL_CTLD=/var/spool/slurmctld
SPOOL_D=/var/spool/slurmd
LOG_DIR=/var/log/slurm
PID_DIR=/run/slurm
MIN_JOB_AGE="${CALIBLOOP_SLURM_MIN_JOB_AGE:-3600}"
OVERSUBSCRIBE="${CALIBLOOP_SLURM_OVERSUBSCRIBE:-8}"
T0=$(date +%s)

say() { printf '[slurm-up %3ss] %s\n' "$(( $(date +%s) - T0 ))" "$*"; }
die() {
  printf '[slurm-up] ERROR: %s\n' "$*" >&2
  for f in "$LOG_DIR/slurmctld.log" "$LOG_DIR/slurmd.log" /var/log/munge/munged.log; do
    [ -s "$f" ] && { printf -- '---- last lines of %s\n' "$f" >&2; tail -n 25 "$f" >&2; }
  done
  exit 1
}
alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
record_started() { mkdir -p "$STATE_DIR"; grep -qx "$1" "$STATE_DIR/started" 2>/dev/null || echo "$1" >>"$STATE_DIR/started"; }

[ "$(id -u)" = 0 ] || die "must run as root"

# ---- 1. packages
need=()
for bin in slurmctld:slurmctld slurmd:slurmd sbatch:slurm-client munged:munge; do
  command -v "${bin%%:*}" >/dev/null 2>&1 || need+=("${bin#*:}")
done
if [ ${#need[@]} -gt 0 ]; then
  say "installing slurm-wlm munge (missing: ${need[*]})"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || die "apt-get update failed"
  apt-get install -y -qq --no-install-recommends slurm-wlm slurm-client munge >/tmp/calibloop-slurm-apt.log 2>&1 ||
    { tail -n 30 /tmp/calibloop-slurm-apt.log >&2; die "apt-get install slurm-wlm munge failed"; }
  say "installed"
fi
SLURM_VERSION=$(slurmctld -V | awk '{print $2}')

# ---- 2. munge
install -d -o munge -g munge -m 0700 /etc/munge /var/lib/munge /var/log/munge
install -d -o munge -g munge -m 0755 /run/munge
if [ ! -s /etc/munge/munge.key ]; then
  say "creating munge key"
  if command -v mungekey >/dev/null 2>&1; then mungekey --create --keyfile=/etc/munge/munge.key --force; \
  else dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none; fi
  chown munge:munge /etc/munge/munge.key
  chmod 0400 /etc/munge/munge.key
fi
if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  say "munged already running"
else
  say "starting munged"
  runuser -u munge -- /usr/sbin/munged || die "munged did not start"
  for _ in $(seq 1 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
  munge -n | unmunge >/dev/null 2>&1 || die "munge credentials do not round-trip"
  record_started munged
fi

# ---- 3. configuration
HOST=$(hostname -s)
NODE_LINE=$(slurmd -C | head -n 1)   # NodeName=<host> CPUs=.. Boards=.. SocketsPerBoard=.. CoresPerSocket=.. ThreadsPerCore=.. RealMemory=..
[[ "$NODE_LINE" == NodeName=* ]] || die "slurmd -C printed no node line: $NODE_LINE"

cgroup_ok() {
  # Slurm 22.05 supports cgroup v1 and v2. Use cgroups when the memory controller of either is writable here.
  local t
  if [ -d /sys/fs/cgroup/memory ] && t=$(mktemp -d /sys/fs/cgroup/memory/calibloop-probe.XXXX 2>/dev/null); then
    [ -w "$t/memory.limit_in_bytes" ] && rmdir "$t" && return 0
    rmdir "$t" 2>/dev/null; return 1
  fi
  [ -f /sys/fs/cgroup/cgroup.controllers ] && grep -qw memory /sys/fs/cgroup/cgroup.controllers
}
case "${CALIBLOOP_SLURM_CGROUP:-auto}" in
  yes) USE_CGROUP=yes ;;
  no) USE_CGROUP=no ;;
  *) if cgroup_ok; then USE_CGROUP=yes; else USE_CGROUP=no; fi ;;
esac

if [ "$USE_CGROUP" = yes ]; then
  ENFORCEMENT="ProctrackType=proctrack/cgroup
TaskPlugin=task/cgroup,task/affinity
JobAcctGatherType=jobacct_gather/cgroup
JobAcctGatherFrequency=task=2"
else
  ENFORCEMENT="ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=task=1
JobAcctGatherParams=OverMemoryKill"
fi

DESIRED_CONF=$(cat <<EOF
$MARKER (Slurm $SLURM_VERSION, cgroups: $USE_CGROUP)
# One-node test cluster for calibloop. Production sites keep their own slurm.conf; see docs/deploy.md.
ClusterName=calibloop
SlurmctldHost=$HOST(127.0.0.1)
AuthType=auth/munge
CredType=cred/munge
SlurmUser=slurm
SlurmdUser=root
StateSaveLocation=$SPOOL_CTLD
SlurmdSpoolDir=$SPOOL_D
SlurmctldPidFile=$PID_DIR/slurmctld.pid
SlurmdPidFile=$PID_DIR/slurmd.pid
SlurmctldLogFile=$LOG_DIR/slurmctld.log
SlurmdLogFile=$LOG_DIR/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
MailProg=/bin/true
MpiDefault=none

# Scheduling: memory is a consumable resource, so --mem limits are both scheduled and enforced.
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0,default_queue_depth=1000
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=256
$ENFORCEMENT

# No slurmdbd: sacct is not available. slurmctld keeps finished jobs for MinJobAge seconds (squeue --states=all),
# jobcomp/filetxt keeps a one-line record of every finished job, and calibloop's wrapper writes an exit file.
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$LOG_DIR/jobcomp.log
MinJobAge=$MIN_JOB_AGE
MaxJobCount=200000
MaxArraySize=100001

# Fast failure detection for tests: a job over its time limit is killed at the next check (about every 30 s),
# a node whose slurmd stops answering is DOWN after SlurmdTimeout, and returns when slurmd registers again.
OverTimeLimit=0
KillWait=5
InactiveLimit=0
SlurmctldTimeout=30
SlurmdTimeout=20
MessageTimeout=10
ReturnToService=2
JobRequeue=0

# Pre-emption, for the executor's PREEMPTED test: a job in partition "urgent" cancels jobs of "main" in its way.
PreemptType=preempt/partition_prio
PreemptMode=CANCEL

$NODE_LINE NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=main Nodes=$HOST Default=YES MaxTime=INFINITE State=UP PriorityTier=1 OverSubscribe=FORCE:$OVERSUBSCRIBE
PartitionName=urgent Nodes=$HOST Default=NO MaxTime=INFINITE State=UP PriorityTier=10 OverSubscribe=FORCE:$OVERSUBSCRIBE
EOF
)
DESIRED_CGROUP=$(cat <<EOF
$MARKER
CgroupPlugin=autodetect
ConstrainCores=yes
ConstrainRAMSpace=yes
ConstrainSwapSpace=yes
AllowedRAMSpace=100
AllowedSwapSpace=0
ConstrainDevices=no
EOF
)

write_if_ours() { # file desired -> prints "changed" when written
  local f=$1 want=$2
  if [ -e "$f" ] && ! head -n 1 "$f" | grep -qF "$MARKER"; then
    die "$f exists and was not written by this script; refusing to overwrite (move it away to use this test cluster)"
  fi
  if [ ! -e "$f" ] || [ "$(cat "$f")" != "$want" ]; then printf '%s\n' "$want" >"$f"; echo changed; fi
}
install -d -m 0755 "$CONF_DIR"
changed=$(write_if_ours "$CONF" "$DESIRED_CONF")
changed+=$(write_if_ours "$CGROUP_CONF" "$DESIRED_CGROUP")
say "config: $CONF (node: ${NODE_LINE}, cgroups: $USE_CGROUP)${changed:+, rewritten}"

install -d -o slurm -g slurm -m 0755 "$SPOOL_CTLD" "$LOG_DIR" "$PID_DIR"
install -d -o root -g root -m 0755 "$SPOOL_D"
touch "$LOG_DIR/jobcomp.log" && chown slurm:slurm "$LOG_DIR/jobcomp.log"

if [ -n "$changed" ] && { alive "$PID_DIR/slurmctld.pid" || alive "$PID_DIR/slurmd.pid"; }; then
  say "configuration changed: restarting the Slurm daemons"
  for d in slurmd slurmctld; do
    if alive "$PID_DIR/$d.pid"; then
      pid=$(cat "$PID_DIR/$d.pid"); kill "$pid"
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
  done
fi

# ---- 4. daemons
if alive "$PID_DIR/slurmctld.pid"; then
  say "slurmctld already running"
else
  say "starting slurmctld"
  slurmctld || die "slurmctld did not start"
  record_started slurmctld
fi
for _ in $(seq 1 100); do scontrol ping 2>/dev/null | grep -q 'is UP' && break; sleep 0.2; done
scontrol ping 2>/dev/null | grep -q 'is UP' || die "slurmctld does not answer (scontrol ping)"

if alive "$PID_DIR/slurmd.pid"; then
  say "slurmd already running"
else
  say "starting slurmd"
  slurmd || die "slurmd did not start"
  record_started slurmd
fi

# ---- 5. wait for the node
state=""
for _ in $(seq 1 120); do
  state=$(sinfo -h -N -n "$HOST" -o '%T' 2>/dev/null | head -n 1)
  case "$state" in idle|mixed|allocated) break ;; esac
  # a node left DOWN by an earlier unclean stop comes back with ReturnToService=2 once slurmd registers;
  # if it was set down by hand, resume it
  case "$state" in down*|drain*) scontrol update NodeName="$HOST" State=RESUME >/dev/null 2>&1 || true ;; esac
  sleep 0.5
done
case "$state" in idle|mixed|allocated) ;; *) die "node $HOST is '$state', not idle after 60 s (sinfo)";; esac

# ---- 6. smoke tests: a job through sbatch and back, and a job over its memory limit is killed for it
wait_job() { # id -> prints the final state
  local st=""
  for _ in $(seq 1 300); do
    st=$(squeue -h --states=all -j "$1" -o '%T' 2>/dev/null | head -n 1)
    case "$st" in COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|BOOT_FAIL) break ;; esac
    sleep 0.2
  done
  echo "$st"
}
jid=$(sbatch --parsable --mem=16 --time=1 -o /dev/null --wrap 'exit 0' 2>&1) || die "sbatch of the smoke job failed: $jid"
jstate=$(wait_job "$jid")
[ "$jstate" = COMPLETED ] || die "smoke job $jid ended '$jstate', not COMPLETED"

SMOKE_OUT=$(mktemp /tmp/calibloop-slurm-oom.XXXXXX)
# `tail` keeps a line without newline in memory (300 MiB against a 50 MiB limit) until its input ends, up to 20 s
# later; once tail is killed, the writer dies of SIGPIPE at its next write
oid=$(sbatch --parsable --mem=50 --time=1 -o "$SMOKE_OUT" \
  --wrap '( head -c 300M /dev/zero; for i in $(seq 100); do printf x; sleep 0.2; done ) | tail >/dev/null' 2>&1) ||
  die "sbatch of the memory smoke job failed: $oid"
ostate=$(wait_job "$oid")
if [ "$ostate" = OUT_OF_MEMORY ] || { [ "$ostate" = FAILED ] && grep -qiE 'exceeded (job )?memory limit|oom-kill' "$SMOKE_OUT"; }; then
  MEM_CHECK="a job over its memory limit ended $ostate"
else
  cat "$SMOKE_OUT" >&2
  rm -f "$SMOKE_OUT"
  die "memory is not enforced: a job using 300 MiB with --mem=50 ended '$ostate' (cgroups: $USE_CGROUP)"
fi
rm -f "$SMOKE_OUT"
say "up: Slurm $SLURM_VERSION, node $HOST $state, smoke job $jid ok, $MEM_CHECK (cgroups: $USE_CGROUP)"
