#!/usr/bin/env bash
# Start Azurite (Azure Storage emulator, pinned in package-lock.json) for local
# development and tests, in the background, on loopback and non-default ports.
#
#   infra/dev/azurite-start.sh      # start (or confirm it is already serving)
#   infra/dev/azurite-stop.sh       # stop
#
# Environment (optional):
#   AZURITE_BLOB_PORT  (default 10100)
#   AZURITE_QUEUE_PORT (default 10101)
#   AZURITE_TABLE_PORT (default 10102)
#   AZURITE_START_TIMEOUT seconds to wait for the table port (default 60)
#   AZURITE_DEBUG_LOG=1 enables Azurite's (verbose, ~7 KB per request) debug log
#
# Data is in memory only: every start is a clean emulator.
# The connection string is printed and written to infra/dev/.azurite/connection-string.
set -euo pipefail

DEV_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STATE_DIR="$DEV_DIR/.azurite"
PID_FILE="$STATE_DIR/azurite.pid"
LOG_FILE="$STATE_DIR/azurite.log"
DEBUG_LOG="$STATE_DIR/debug.log"
CONN_FILE="$STATE_DIR/connection-string"

HOST=127.0.0.1
BLOB_PORT="${AZURITE_BLOB_PORT:-10100}"
QUEUE_PORT="${AZURITE_QUEUE_PORT:-10101}"
TABLE_PORT="${AZURITE_TABLE_PORT:-10102}"
TIMEOUT="${AZURITE_START_TIMEOUT:-60}"

# The well-known Azurite development account key (public, not a secret).
ACCOUNT=devstoreaccount1
ACCOUNT_KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='
CONNECTION_STRING="DefaultEndpointsProtocol=http;AccountName=${ACCOUNT};AccountKey=${ACCOUNT_KEY};BlobEndpoint=http://${HOST}:${BLOB_PORT}/${ACCOUNT};QueueEndpoint=http://${HOST}:${QUEUE_PORT}/${ACCOUNT};TableEndpoint=http://${HOST}:${TABLE_PORT}/${ACCOUNT};"
export AZURITE_CONNECTION_STRING="$CONNECTION_STRING"

log() { echo "azurite-start: $*"; }
err() { echo "azurite-start: $*" >&2; }

# True when something accepts TCP connections on $HOST:$1 (loopback: refusal is immediate).
port_open() { (exec 3<>"/dev/tcp/${HOST}/$1") 2>/dev/null; }

pid_alive() { [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null; }

all_ports_open() { port_open "$BLOB_PORT" && port_open "$QUEUE_PORT" && port_open "$TABLE_PORT"; }

publish_connection_string() {
  mkdir -p "$STATE_DIR"
  printf '%s\n' "$CONNECTION_STRING" >"$CONN_FILE"
  log "connection string (exported as AZURITE_CONNECTION_STRING, also in ${CONN_FILE}):"
  echo "$CONNECTION_STRING"
}

show_log_tail() {
  local f
  for f in "$LOG_FILE" "$DEBUG_LOG"; do
    if [[ -s "$f" ]]; then
      err "----- last lines of $f -----"
      tail -n 30 "$f" >&2 || true
    fi
  done
}

mkdir -p "$STATE_DIR"

# Already serving (a previous start, or another Azurite on these ports)?
if all_ports_open; then
  existing=""
  [[ -f "$PID_FILE" ]] && existing="$(cat "$PID_FILE" 2>/dev/null || true)"
  if pid_alive "$existing"; then
    log "already running (pid $existing) on ${HOST}:${BLOB_PORT}/${QUEUE_PORT}/${TABLE_PORT}"
  else
    log "already running: ports ${BLOB_PORT}/${QUEUE_PORT}/${TABLE_PORT} on ${HOST} are serving (not started by this script; no pid file)"
  fi
  publish_connection_string
  exit 0
fi

# A previous start may still be coming up: wait for it rather than start a second one.
pid=""
if [[ -f "$PID_FILE" ]]; then
  pid="$(cat "$PID_FILE" 2>/dev/null || true)"
  if pid_alive "$pid"; then
    log "an Azurite started earlier (pid $pid) is still starting; waiting for it"
  else
    rm -f "$PID_FILE"
    pid=""
  fi
fi

if [[ -z "$pid" ]]; then
  # Some of the ports taken by something else: Azurite would fail with EADDRINUSE.
  for p in "$BLOB_PORT" "$QUEUE_PORT" "$TABLE_PORT"; do
    if port_open "$p"; then
      err "port $p on $HOST is already in use by another program, but not all three Azurite ports are serving."
      err "Free it, or choose other ports with AZURITE_BLOB_PORT / AZURITE_QUEUE_PORT / AZURITE_TABLE_PORT."
      exit 1
    fi
  done

  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    err "node and npm are required (Debian: apt-get install -y nodejs npm)."
    exit 1
  fi

  # Install the locked Azurite when node_modules is missing or older than the lockfile.
  # npm writes node_modules/.package-lock.json on every install; use it as the stamp.
  cd "$DEV_DIR"
  stamp="node_modules/.package-lock.json"
  if [[ ! -x node_modules/.bin/azurite || ! -f "$stamp" || package-lock.json -nt "$stamp" ]]; then
    log "installing Azurite from package-lock.json (npm ci)..."
    if ! npm ci --no-audit --no-fund --loglevel=error >/dev/null; then
      err "npm ci failed in $DEV_DIR (is the npm registry reachable?)."
      exit 1
    fi
    touch "$stamp"
  fi

  args=(
    --blobHost "$HOST" --blobPort "$BLOB_PORT"
    --queueHost "$HOST" --queuePort "$QUEUE_PORT"
    --tableHost "$HOST" --tablePort "$TABLE_PORT"
    --inMemoryPersistence --skipApiVersionCheck --disableTelemetry --loose
  )
  if [[ "${AZURITE_DEBUG_LOG:-0}" != "0" ]]; then
    args+=(--debug "$DEBUG_LOG")
  fi
  : >"$LOG_FILE"
  rm -f "$DEBUG_LOG"

  # Azurite refuses --location together with --inMemoryPersistence; its workspace
  # defaults to the current directory, so run it from $STATE_DIR (git-ignored).
  # setsid: own session and process group (so azurite-stop.sh can kill the whole group),
  # detached from this shell's terminal. The inner shell records its own pid, which
  # `exec` hands over to Azurite, so the pid file always names the Azurite process.
  (cd "$STATE_DIR" && exec setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$PID_FILE" \
    "$DEV_DIR/node_modules/.bin/azurite" "${args[@]}" \
    </dev/null >>"$LOG_FILE" 2>&1) &

  # Wait (briefly) for the pid file written by the child.
  for _ in $(seq 1 50); do
    [[ -s "$PID_FILE" ]] && break
    sleep 0.1
  done
  pid="$(cat "$PID_FILE" 2>/dev/null || true)"
  log "started Azurite (pid ${pid:-?}) on ${HOST}: blob ${BLOB_PORT}, queue ${QUEUE_PORT}, table ${TABLE_PORT}; log ${LOG_FILE}"
fi

# Wait for the table port (the last service Azurite brings up) with a deadline.
deadline=$(( $(date +%s) + TIMEOUT ))
until port_open "$TABLE_PORT"; do
  if [[ -n "$pid" ]] && ! pid_alive "$pid"; then
    err "Azurite (pid $pid) exited before it was ready."
    show_log_tail
    err "Check the log above (a port in use? a broken install? try: rm -rf $DEV_DIR/node_modules), then run $0 again."
    rm -f "$PID_FILE"
    exit 1
  fi
  if (( $(date +%s) >= deadline )); then
    err "Azurite's table port ${HOST}:${TABLE_PORT} did not accept connections within ${TIMEOUT} s."
    show_log_tail
    err "Stop it with $DEV_DIR/azurite-stop.sh, check the log above, then start again (on a slow machine raise AZURITE_START_TIMEOUT)."
    exit 1
  fi
  sleep 0.2
done

if ! all_ports_open; then
  # Blob and queue come up before table; this is only a safety net.
  sleep 1
  if ! all_ports_open; then
    err "table port is serving but blob ${BLOB_PORT} or queue ${QUEUE_PORT} is not."
    show_log_tail
    exit 1
  fi
fi

log "ready"
publish_connection_string
