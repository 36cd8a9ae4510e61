#!/usr/bin/env bash
# Benchmark (not a test): catalog GET throughput cached and uncached against a trivial endpoint of the
# same service, POST /orders throughput against pgbench on the same Postgres primary (ratios from the
# same run), and the platform's memory at idle and under that load. Needs wrk and pgbench.
# Usage: eng/bench/services.sh [seconds per load]
set -euo pipefail
cd "$(dirname "$0")/../.."
source eng/prerequisites.sh
ensure_prerequisites
ensure_bench_tools wrk pgbench
dotnet build eng/bench/Bench -c Release -nologo -v quiet
exec dotnet eng/bench/Bench/bin/Release/net10.0/Platform.Bench.dll services "$@"
