#!/usr/bin/env bash
# Benchmark (not a test): the web app in Debian's chromium — time to first render and to interactive of the catalog
# and "my orders" (p50/p95 over warm loads) beside the same data's API call through the gateway, the web app's idle
# memory and the server memory per open interactive page (circuit).
# Usage: eng/bench/web.sh [loads per page] [circuits]
set -euo pipefail
cd "$(dirname "$0")/../.."
source eng/prerequisites.sh
ensure_test_prerequisites
prepare_bench
exec dotnet "$bench" web "$@"
