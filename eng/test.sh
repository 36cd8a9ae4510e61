#!/usr/bin/env bash
# Builds the solution (warnings are errors) and runs every test: unit tests and whole-platform
# tests that start the AppHost against real Postgres (primary + replicas), Redis and RabbitMQ.
# Arguments go to `dotnet test` (e.g. --filter-class 'Platform.AppHost.Tests.RedisTests').
set -euo pipefail
cd "$(dirname "$0")/.."
source eng/prerequisites.sh
ensure_prerequisites

dotnet build Platform.sln -c Release -nologo -v quiet
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
dotnet test --solution Platform.sln -c Release --no-build "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

count() { grep -E "^\s+$1: [0-9]+" "$log" | tail -1 | grep -oE '[0-9]+' || echo 0; }
echo "Tests: $(count succeeded) passed, $(count failed) failed, $(count skipped) skipped"
exit "$status"
