#!/usr/bin/env bash
# Deletes everything the platform keeps for this checkout: the state folder (generated secrets, the
# local servers' data), Postgres data kept outside it (/var/lib/platform/postgres-<key>, used when the
# postgres account cannot reach the checkout) and container mode's volumes. Stop the platform first.
# Usage: eng/clean.sh [state folder]   (default: .state, as the AppHost's Infrastructure:StateDirectory)
set -euo pipefail
cd "$(dirname "$0")/.."
source eng/prerequisites.sh

state=$(realpath -m "${1:-.state}")
[ -d "$state" ] || { echo "Nothing to clean: $state does not exist."; exit 0; }

# Every local server runs from its data folder: one still running means the platform is up.
for proc in /proc/[0-9]*; do
  cwd=$(readlink "$proc/cwd" 2>/dev/null || true)
  case "$cwd/" in
    "$state"/*) fail "the platform is still running (pid ${proc#/proc/}: $(tr '\0' ' ' < "$proc/cmdline")). Stop it first (Ctrl+C)." ;;
  esac
done

key=$(cat "$state/id" 2>/dev/null || true)
if [ -n "$key" ]; then
  outside=/var/lib/platform/postgres-$key
  if [ -e "$outside" ]; then
    sudo=()
    [ -w /var/lib/platform ] || sudo=(sudo)
    ${sudo[@]+"${sudo[@]}"} rm -rf "$outside"
    echo "Deleted $outside"
  fi
  for runtime in podman docker; do
    command -v "$runtime" >/dev/null || continue
    volumes=$("$runtime" volume ls -q 2>/dev/null | grep -e "-$key-" || true)
    [ -z "$volumes" ] || { "$runtime" volume rm -f $volumes >/dev/null; echo "Deleted $runtime volumes:" $volumes; }
  done
fi

rm -rf "$state"
echo "Deleted $state"
