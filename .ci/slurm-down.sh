#!/usr/bin/env bash
# Stops exactly what .ci/slurm-up.sh started (listed in $STATE_DIR/started), by the daemons' pid files; daemons that
# were already running before slurm-up are left alone. Leaves the packages, the configuration and the spool
# directories (a next slurm-up is fast). Safe to run twice.
set -uo pipefail

STATE_DIR="${CALIBLOOP_SLURM_STATE:-/run/calibloop-slurm}"
PID_DIR=/run/slurm
say() { printf '[slurm-down] %s\n' "$*"; }

if [ ! -s "$STATE_DIR/started" ]; then
  say "nothing to stop (slurm-up started nothing, or it was stopped already)"
  exit 0
fi

pidfile_of() {
  case "$1" in
    slurmd) echo "$PID_DIR/slurmd.pid" ;;
    slurmctld) echo "$PID_DIR/slurmctld.pid" ;;
    munged) echo /run/munge/munged.pid ;;
  esac
}

# the reverse order of starting: slurmd, slurmctld, munged
rc=0
for d in slurmd slurmctld munged; do
  grep -qx "$d" "$STATE_DIR/started" || continue
  pf=$(pidfile_of "$d")
  if [ -s "$pf" ] && pid=$(cat "$pf") && kill -0 "$pid" 2>/dev/null; then
    # the pid must still be that daemon (pid reuse after a crash)
    if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" != "$d" ]; then
      say "pid $pid in $pf is not $d any more; not touching it"
    else
      kill -TERM "$pid"
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      if kill -0 "$pid" 2>/dev/null; then
        say "$d ($pid) did not stop within 10 s; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || rc=1
      fi
      say "stopped $d ($pid)"
    fi
  else
    say "$d is not running"
  fi
  sed -i "/^$d\$/d" "$STATE_DIR/started"
done
[ -s "$STATE_DIR/started" ] || rm -f "$STATE_DIR/started"
exit "$rc"
