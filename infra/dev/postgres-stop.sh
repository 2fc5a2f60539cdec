#!/usr/bin/env bash
# Stop the PostgreSQL started by infra/dev/postgres-start.sh.
set -euo pipefail
DEV_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STATE_DIR="$DEV_DIR/.postgres"
BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
[[ -n "$BIN" && -f "$STATE_DIR/data/postmaster.pid" ]] || exit 0
RUN_AS=()
if [[ "$(id -u)" == 0 ]]; then RUN_AS=(runuser -u postgres --); fi
"${RUN_AS[@]}" "$BIN/pg_ctl" -D "$STATE_DIR/data" -m immediate -w stop >/dev/null
