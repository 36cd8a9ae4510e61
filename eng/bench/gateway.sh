#!/usr/bin/env bash
# Benchmark (not a test): a cached catalog read through the gateway beside the same read straight from one catalog
# instance and the gateway's trivial /alive (ratios from the same run), the latency the gateway adds and its CPU per
# request. Needs wrk.
# Usage: eng/bench/gateway.sh [seconds per load]
set -euo pipefail
cd "$(dirname "$0")/../.."
source eng/prerequisites.sh
prepare_bench wrk
exec dotnet "$bench" gateway "$@"
