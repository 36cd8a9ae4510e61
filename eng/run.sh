#!/usr/bin/env bash
# Runs the whole platform under the Aspire AppHost and prints the dashboard URL; Ctrl+C stops
# everything. Infrastructure runs as containers when a container runtime answers, otherwise as
# local processes; force either with --local or --containers. Other arguments go to the AppHost.
set -euo pipefail
cd "$(dirname "$0")/.."
source eng/prerequisites.sh

args=()
for arg in "$@"; do
  case "$arg" in
    --local) args+=(--Infrastructure:Mode=local) ;;
    --containers) args+=(--Infrastructure:Mode=containers) ;;
    *) args+=("$arg") ;;
  esac
done

ensure_prerequisites
# Release: the services run compiled ahead of time (see Directory.Build.props), and the tests' build is reused.
exec dotnet run --project AppHost -c Release --launch-profile http -- ${args[@]+"${args[@]}"}
