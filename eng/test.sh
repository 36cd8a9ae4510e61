#!/usr/bin/env bash
# Builds the solution (warnings are errors) and runs every test: unit tests and whole-platform
# tests that start the AppHost against real Postgres (primary + replicas), Redis and RabbitMQ.
#if (false)
# Then the template tests: pack templates/, instantiate `dotnet new platform` per option combination,
# build each, run the default solution's whole suite (the platform tests run there, renamed, not here).
#endif
# Arguments go to `dotnet test` (e.g. --filter-class 'Platform.AppHost.Tests.RedisTests').
set -euo pipefail
cd "$(dirname "$0")/.."
source eng/prerequisites.sh
ensure_test_prerequisites

dotnet build Platform.slnx -c Release -nologo -v quiet
log=$(mktemp)
trap 'rm -f "$log"' EXIT
args=("$@")
#if (false)
# This repository's full run leaves the platform tests (tests/AppHost.Tests) to the template tests, which run the whole
# suite of the default generated solution: the same tests, renamed, on the solution users get. Running them here as
# well would double the time. With arguments (a filter) they run here as usual.
generated=tests/Template.Tests/bin/Release/net10.0/generated-solution-tests.txt
rm -f "$generated"
if [ $# -eq 0 ]; then args=(--filter-not-namespace 'Platform.AppHost.Tests*'); fi
#endif
# A filter (--filter-class …) leaves some test projects with nothing to run: not a failure (exit
# code 8) as long as the run as a whole ran tests.
filtered=()
if [ ${#args[@]} -gt 0 ]; then filtered=(--ignore-exit-code 8); fi
set +e
# One test project at a time: each starts whole platforms, and the machine may have two cores.
dotnet test --solution Platform.slnx -c Release --no-build --max-parallel-test-modules 1 ${filtered[@]+"${filtered[@]}"} ${args[@]+"${args[@]}"} 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# The first failures again, without stack frames, where a CI log's tail shows them.
if [ "$status" -ne 0 ]; then
  echo "First failures:"
  sed 's/\x1b\[[0-9;]*m//g' "$log" | awk '/^\s*failed [A-Za-z]/ { shown++; left = 6 }
    shown <= 10 && left > 0 && !/^\s+at / { print; left-- }'
fi

count() { grep -E "^\s+$1: [0-9]+" "$log" | tail -1 | grep -oE '[0-9]+' || echo 0; }
passed=$(count succeeded) failed=$(count failed) skipped=$(count skipped)
#if (false)
if [ -s "$generated" ]; then
  echo "In the generated default solution: $(cat "$generated")"
  read -r g_passed g_failed g_skipped <<< "$(grep -oE '[0-9]+' "$generated" | xargs)"
  passed=$((passed + g_passed)) failed=$((failed + g_failed)) skipped=$((skipped + g_skipped))
fi
#endif
echo "Tests: $passed passed, $failed failed, $skipped skipped"
if [ "$status" -eq 0 ] && [ $((passed + failed)) -eq 0 ]; then
  echo "No test ran." >&2
  exit 8
fi
exit "$status"
