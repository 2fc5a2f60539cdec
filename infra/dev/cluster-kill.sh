#!/usr/bin/env bash
# Three marketplace hosts on loopback, one killed with SIGKILL under load, and what the other two show afterwards.
#
#   infra/dev/cluster-kill.sh
#
# Runs tests/Marketplace.Host.Tests' ClusterKillTests: three host processes (Azure Table clustering, grain storage
# and reminders on Azurite, identity on PostgreSQL, search off), a steady small load of lot writes, holds and demands
# through all three with client-credentials tokens, SIGKILL of the host holding most of six checked cells' matching
# partitions, then the checks: every acknowledged write found on the survivors, how long they were without service
# (503 with Retry-After, never 500), a lot posted after the kill proposed to a demand from before in each of the six
# cells, short holds lapsing on their reminders, and the dead host's tokens accepted by the others.
# Prints the figures (writes acknowledged and found, seconds without service, time to the first proposal after the
# kill) and the verdict; the whole output, with the hosts' logs on a failure, is kept in infra/dev/.cluster-kill/output.log.
#
# Uses MARKETPLACE_TEST_AZURITE and MARKETPLACE_TEST_POSTGRES when set (connection strings); otherwise starts Azurite
# and PostgreSQL with infra/dev/azurite-start.sh and postgres-start.sh, and stops what it started.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE_DIR="$ROOT/infra/dev/.cluster-kill"
mkdir -p "$STATE_DIR"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

started=()
cleanup() {
  for server in "${started[@]}"; do
    "$ROOT/infra/dev/$server-stop.sh" >/dev/null 2>&1 || true
  done
}
trap cleanup EXIT

if [[ -z "${MARKETPLACE_TEST_AZURITE:-}" ]]; then
  "$ROOT/infra/dev/azurite-start.sh" >/dev/null
  started+=(azurite)
  MARKETPLACE_TEST_AZURITE="$(cat "$ROOT/infra/dev/.azurite/connection-string")"
  export MARKETPLACE_TEST_AZURITE
fi

if [[ -z "${MARKETPLACE_TEST_POSTGRES:-}" ]]; then
  "$ROOT/infra/dev/postgres-start.sh" >/dev/null
  started+=(postgres)
  MARKETPLACE_TEST_POSTGRES="$(cat "$ROOT/infra/dev/.postgres/connection-string")"
  export MARKETPLACE_TEST_POSTGRES
fi

echo "Building the host and its tests..."
dotnet build "$ROOT/tests/Marketplace.Host.Tests" -v q >"$STATE_DIR/build.log" 2>&1 || { cat "$STATE_DIR/build.log"; exit 1; }

echo "Three hosts, one killed (starting the hosts takes 20 s to a few minutes, the run after that about a minute)..."
status=0
timeout 900 dotnet test "$ROOT/tests/Marketplace.Host.Tests" --no-build --filter "FullyQualifiedName~ClusterKillTests" \
  --logger "console;verbosity=detailed" >"$STATE_DIR/output.log" 2>&1 || status=$?

grep -E "three hosts ready|killed http|writes acknowledged|seconds without service|proposals after the kill|short holds lapsed" "$STATE_DIR/output.log" \
  | sed -E 's/^\[xUnit[^]]*\][[:space:]]*//' | awk '!seen[$0]++' || true
if [[ $status -eq 0 ]]; then
  echo "PASSED: nothing acknowledged was lost and the survivors took over."
else
  grep -A 20 "Error Message" "$STATE_DIR/output.log" | head -n 40 || true
  echo "FAILED (exit $status); the whole output is in $STATE_DIR/output.log"
fi
exit "$status"
