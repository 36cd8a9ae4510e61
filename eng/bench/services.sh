#!/usr/bin/env bash
# Benchmark (not a test): catalog GET throughput cached and uncached against a trivial endpoint of the
# same service, POST /orders throughput against pgbench on the same Postgres primary (ratios from the
# same run), and the platform's memory at idle and under that load. Needs wrk and pgbench.
# Usage: eng/bench/services.sh [seconds per load]
set -euo pipefail
cd "$(dirname "$0")/../.."
source eng/prerequisites.sh
prepare_bench wrk pgbench
exec dotnet "$bench" services "$@"
