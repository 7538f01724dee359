#!/usr/bin/env bash
# The whole loop on the distributed engine: `calibloop demo --exit-when-complete` with the Slurm executor and
# PostgreSQL (called by .ci/run after .ci/slurm-up.sh, with DATABASE_URL set). The demo gets a database of its own
# (created next to DATABASE_URL's, dropped afterwards) and a home in /tmp, which the Slurm node sees (one-node cluster
# on this machine; on a real cluster point DEMO_HOME_ROOT at a shared filesystem). Fails unless `demo complete:` is
# printed within DEMO_TIMEOUT_MIN minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${DATABASE_URL:?DATABASE_URL must point at the PostgreSQL server}"
TIMEOUT_MIN="${DEMO_TIMEOUT_MIN:-15}"
HOME_ROOT="${DEMO_HOME_ROOT:-/tmp}"

DEMO_HOME=$(mktemp -d "$HOME_ROOT/calibloop-demo-slurm.XXXXXX")
chmod 755 "$DEMO_HOME"
DB="calibloop_demo_slurm_$$"
BASE_URL="${DATABASE_URL%/*}"
ADMIN_URL="$BASE_URL/postgres"
psql "$ADMIN_URL" -qc "DROP DATABASE IF EXISTS \"$DB\"" -c "CREATE DATABASE \"$DB\""
cleanup() {
  psql "$ADMIN_URL" -qc "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$DEMO_HOME"
}
trap cleanup EXIT

PORT=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
LOG="$DEMO_HOME/demo.out"
echo "demo on Slurm + PostgreSQL: home $DEMO_HOME, database $DB, port $PORT, bound ${TIMEOUT_MIN} min"
set +e
DATABASE_URL="$BASE_URL/$DB" CALIBLOOP_EXECUTOR=slurm PORT="$PORT" \
  timeout --signal=INT --kill-after=60 "$(( TIMEOUT_MIN * 60 + 60 ))" \
  node bin/calibloop.js demo --home "$DEMO_HOME" --exit-when-complete --timeout-min "$TIMEOUT_MIN" 2>&1 | tee "$LOG"
status=${PIPESTATUS[0]}
set -e
if [ "$status" -ne 0 ] || ! grep -q '^demo complete:' "$LOG"; then
  echo "demo on Slurm did not complete (exit $status); last lines of the server log:" >&2
  tail -n 40 "$DEMO_HOME/logs/calibloop.log" >&2 || true
  exit 1
fi
echo "demo on Slurm complete"
