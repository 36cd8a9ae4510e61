#!/usr/bin/env bash
# Benchmark (not a test): the whole order flow end to end — orders placed at fixed offered rates, time until each
# is confirmed (outbox → RabbitMQ → inventory → payments → orders), p50/p99 — beside pgbench tps on the same
# Postgres primary in the same run, and the platform's peak memory. Needs pgbench.
# Usage: eng/bench/orders.sh [seconds per rate] [rates per second...]   (default: 15 100 200 300)
set -euo pipefail
cd "$(dirname "$0")/../.."
source eng/prerequisites.sh
prepare_bench pgbench
exec dotnet "$bench" orders "$@"
