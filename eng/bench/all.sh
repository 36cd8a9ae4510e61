#!/usr/bin/env bash
# Benchmark (not a test): every benchmark, shorter (~15 min), then one table of the figures that matter, each beside
# its baseline from the same run, written to eng/bench/results.json; the README's table is made from that file.
# Usage: eng/bench/all.sh            run, then update the README's table
#        eng/bench/all.sh --readme   only remake the README's table from eng/bench/results.json
set -euo pipefail
cd "$(dirname "$0")/../.."
source eng/prerequisites.sh
prepare_bench wrk pgbench
if [ "${1:-}" != "--readme" ]; then
  dotnet "$bench" all eng/bench/results.json
fi
dotnet "$bench" readme eng/bench/results.json README.md
