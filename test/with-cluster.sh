#!/usr/bin/env bash
# Runs a command against the local Kafka cluster: starts the cluster first if it is not running, and stops it
# afterwards only if this script started it. The command's exit code is this script's.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cluster="$root/deploy/local/cluster.sh"

started=0
if ! bash "$cluster" status >/dev/null 2>&1; then
  bash "$cluster" up || { echo "[tests] the local Kafka cluster did not start" >&2; exit 1; }
  started=1
fi
stop_cluster() { ((started)) && bash "$cluster" down >/dev/null 2>&1; }
trap stop_cluster EXIT

"$@"
status=$?
exit "$status"
