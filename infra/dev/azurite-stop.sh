#!/usr/bin/env bash
# Stop the Azurite started by azurite-start.sh (its pid file, its process group
# and children). Idempotent: does nothing when it is not running.
set -euo pipefail

DEV_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PID_FILE="$DEV_DIR/.azurite/azurite.pid"

log() { echo "azurite-stop: $*"; }

if [[ ! -f "$PID_FILE" ]]; then
  log "not running (no pid file)"
  exit 0
fi

pid="$(tr -dc '0-9' <"$PID_FILE" || true)"
if [[ -z "$pid" ]] || ! kill -0 "$pid" 2>/dev/null; then
  log "not running (stale pid file removed)"
  rm -f "$PID_FILE"
  exit 0
fi

# Guard against a recycled pid: only stop a process that is Azurite.
cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
if [[ "$cmdline" != *azurite* ]]; then
  log "pid $pid is not Azurite ($cmdline); removing the stale pid file only"
  rm -f "$PID_FILE"
  exit 0
fi

# Alive and not a zombie (a container's pid 1 may be slow to reap).
alive() {
  kill -0 "$pid" 2>/dev/null || return 1
  local state
  state="$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$pid/status" 2>/dev/null || true)"
  [[ "$state" != Z ]]
}

# azurite-start.sh runs Azurite as a session/process-group leader (setsid), so pgid == pid.
signal_all() {
  local sig="$1"
  kill "-$sig" -- "-$pid" 2>/dev/null || true
  pkill "-$sig" -P "$pid" 2>/dev/null || true
  kill "-$sig" "$pid" 2>/dev/null || true
}

signal_all TERM
for _ in $(seq 1 50); do          # up to 10 s for a clean exit
  alive || break
  sleep 0.2
done
if alive; then
  log "pid $pid did not exit on SIGTERM; sending SIGKILL"
  signal_all KILL
  sleep 0.5
fi

rm -f "$PID_FILE"
log "stopped (pid $pid)"
