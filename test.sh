#!/usr/bin/env bash
# The project's test command: ./test.sh [extra dotnet test arguments]
#   e.g. ./test.sh --filter "FullyQualifiedName~Orders"
# Starts Azurite (infra/dev/azurite-start.sh) and PostgreSQL (infra/dev/postgres-start.sh, which
# installs Debian's package when it is missing), runs the whole solution's tests with TRX logging,
# stops both, and closes with the line "N passed, M failed".
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
ROOT="$(pwd)"
RESULTS_DIR="$ROOT/TestResults"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

stop_servers() {
  "$ROOT/infra/dev/azurite-stop.sh" >/dev/null 2>&1 || true
  "$ROOT/infra/dev/postgres-stop.sh" >/dev/null 2>&1 || true
}
trap stop_servers EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Sum the <Counters passed=".." failed=".."/> of every TRX file under $1.
# Prints "PASSED FAILED TRX_FILES_WITH_COUNTERS". Pure bash + find/tr/grep/sed.
count_trx() {
  local dir="$1" passed=0 failed=0 files=0 f counters p n
  while IFS= read -r -d '' f; do
    # Flatten line breaks so the element is found even if its attributes are wrapped.
    counters="$(tr '\r\n\t' '   ' <"$f" | grep -o '<Counters [^>]*>' | head -n 1 || true)"
    [[ -n "$counters" ]] || continue
    files=$((files + 1))
    # The leading space keeps passed="…" apart from passedButRunAborted="…".
    p="$(sed -n 's/.*[[:space:]]passed="\([0-9][0-9]*\)".*/\1/p' <<<"$counters")"
    n="$(sed -n 's/.*[[:space:]]failed="\([0-9][0-9]*\)".*/\1/p' <<<"$counters")"
    passed=$((passed + 10#${p:-0}))
    failed=$((failed + 10#${n:-0}))
  done < <(find "$dir" -type f -name '*.trx' -print0 2>/dev/null)
  echo "$passed $failed $files"
}

# Static checks of the deployment files (Kubernetes schemas, Dockerfile, Bicep): a failure fails the run.
"$ROOT/infra/check/run.sh"

"$ROOT/infra/dev/azurite-start.sh"
MARKETPLACE_TEST_AZURITE="$(cat "$ROOT/infra/dev/.azurite/connection-string")"
export MARKETPLACE_TEST_AZURITE
"$ROOT/infra/dev/postgres-start.sh"
MARKETPLACE_TEST_POSTGRES="$(cat "$ROOT/infra/dev/.postgres/connection-string")"
export MARKETPLACE_TEST_POSTGRES

# The browser tests (tests/Marketplace.Web.Tests) drive Debian's Chromium through Playwright; install it when missing.
if [[ -z "${MARKETPLACE_CHROMIUM:-}" && ! -x /usr/bin/chromium ]]; then
  echo "test.sh: installing chromium for the browser tests"
  SUDO=""; [[ "$(id -u)" != "0" ]] && SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

rm -rf "$RESULTS_DIR"

test_rc=0
dotnet test Marketplace.sln --logger "trx" --results-directory "$RESULTS_DIR" "$@" || test_rc=$?

stop_servers

read -r passed failed trx_files < <(count_trx "$RESULTS_DIR")

if (( trx_files == 0 )); then
  echo "test.sh: no TRX results with test counters found under $RESULTS_DIR (dotnet test exit code $test_rc): no test ran, or the build failed before any test started." >&2
  echo "$passed passed, $failed failed"
  exit $(( test_rc != 0 ? test_rc : 1 ))
fi
if (( test_rc != 0 )); then
  echo "test.sh: dotnet test exited with code $test_rc." >&2
fi
echo "$passed passed, $failed failed"
if (( test_rc != 0 )); then
  exit "$test_rc"
fi
if (( failed > 0 )); then
  exit 1
fi
exit 0
