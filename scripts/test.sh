#!/usr/bin/env bash
# Runs every test of the solution and ends with a line "N passed, N failed, N skipped".
# Installs what the tests need first: Debian's python3-mongomock and python3-pymongo, which the test MongoDB
# (tests/MongoEmulator) runs on. Set TASKSERVICE_TEST_MONGO to a MongoDB connection string to test against a
# real server instead. Extra arguments go to `dotnet test` (e.g. --filter Category=...).
set -uo pipefail
cd "$(dirname "$0")/.."

if [ -z "${TASKSERVICE_TEST_MONGO:-}" ] && ! /usr/bin/python3 -c 'import mongomock, bson' 2>/dev/null; then
  echo "Installing the test MongoDB emulator's packages (python3-mongomock, python3-pymongo)..."
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-mongomock python3-pymongo >/dev/null \
    || { echo "Could not install python3-mongomock/python3-pymongo; install them or set TASKSERVICE_TEST_MONGO." >&2; exit 1; }
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
dotnet test TaskService.sln "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# dotnet test prints one summary per test assembly: "Passed!  - Failed: 0, Passed: 12, Skipped: 0, Total: 12, ..."
awk '
  /(Passed|Failed)! +- +Failed:/ {
    for (i = 1; i <= NF; i++) {
      gsub(",", "", $(i + 1))
      if ($i == "Failed:") failed += $(i + 1)
      if ($i == "Passed:") passed += $(i + 1)
      if ($i == "Skipped:") skipped += $(i + 1)
    }
    assemblies++
  }
  END { printf "%d passed, %d failed, %d skipped\n", passed, failed, skipped }
' "$log" | tee "$log.summary"
if [ "$status" -eq 0 ] && grep -q '^0 passed' "$log.summary"; then status=1; fi
rm -f "$log.summary"
exit "$status"
