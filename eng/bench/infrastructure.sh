#!/usr/bin/env bash
# Benchmark (not a test): seconds from start to every resource healthy (cold and warm state
# folder), resident memory of the whole local platform at idle and under an insert loop, and
# streaming-replica lag p50/p99 under that loop. Usage: eng/bench/infrastructure.sh [warm runs] [load seconds]
set -euo pipefail
cd "$(dirname "$0")/../.."
source eng/prerequisites.sh
prepare_bench
exec dotnet "$bench" infrastructure "$@"
