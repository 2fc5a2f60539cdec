#!/usr/bin/env bash
# Start a throwaway PostgreSQL (Debian's package) for tests of cluster mode's identity store,
# on loopback port 5433, with its data under infra/dev/.postgres (deleted on every start).
#
#   infra/dev/postgres-start.sh    # install (as root, once) and start
#   infra/dev/postgres-stop.sh     # stop
#
# The server is installed from Debian's packages when it is missing (apt-get, needs root).
# It trusts loopback connections: for tests only. The connection string is written to
# infra/dev/.postgres/connection-string.
set -euo pipefail

DEV_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STATE_DIR="$DEV_DIR/.postgres"
PORT="${POSTGRES_TEST_PORT:-5433}"
CONN_FILE="$STATE_DIR/connection-string"

log() { echo "postgres-start: $*"; }
err() { echo "postgres-start: $*" >&2; }

find_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

BIN="$(find_bin)"
if [[ -z "$BIN" || ! -x "$BIN/initdb" ]]; then
  if [[ "$(id -u)" != 0 ]]; then
    err "PostgreSQL is not installed and this is not root: run 'sudo apt-get install -y postgresql' first."
    exit 1
  fi
  log "installing PostgreSQL from Debian's packages (about a minute)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends postgresql >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y --no-install-recommends postgresql >/dev/null; }
  BIN="$(find_bin)"
fi

# PostgreSQL refuses to run as root: run it as the 'postgres' user the package creates.
RUN_AS=()
if [[ "$(id -u)" == 0 ]]; then
  RUN_AS=(runuser -u postgres --)
fi

"$DEV_DIR/postgres-stop.sh" >/dev/null 2>&1 || true
rm -rf "$STATE_DIR"
mkdir -p "$STATE_DIR/data"
if [[ "$(id -u)" == 0 ]]; then
  chown -R postgres:postgres "$STATE_DIR"
  # The postgres user must be able to reach the folder.
  d="$STATE_DIR"; while [[ "$d" != "/" ]]; do chmod o+x "$d" 2>/dev/null || true; d="$(dirname "$d")"; done
fi

"${RUN_AS[@]}" "$BIN/initdb" -D "$STATE_DIR/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$STATE_DIR/initdb.log" 2>&1 \
  || { err "initdb failed:"; cat "$STATE_DIR/initdb.log" >&2; exit 1; }
"${RUN_AS[@]}" "$BIN/pg_ctl" -D "$STATE_DIR/data" -l "$STATE_DIR/postgres.log" -w -t 60 \
  -o "-h 127.0.0.1 -p $PORT -k $STATE_DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" start >/dev/null \
  || { err "PostgreSQL did not start:"; tail -n 20 "$STATE_DIR/postgres.log" >&2; exit 1; }

printf 'Host=127.0.0.1;Port=%s;Username=postgres;Pooling=true\n' "$PORT" >"$CONN_FILE"
log "PostgreSQL $("$BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT"
