#!/usr/bin/env bash
# Runs a command against a single-node Kubernetes built on this machine, then takes the cluster down whatever
# happened (`make test-k8s` runs the tests through it). In order:
#   1. the binaries from the Go module proxy, if not cached yet (deploy/k8s/tools.sh; no lock: a build uses
#      neither the cluster nor podman);
#   2. under /tmp/fleet.lock (the machine's shared lock for anything that runs Kafka, podman or a cluster):
#      cluster.sh up, images.sh fleet and keda, the command with KUBECONFIG and PATH (kubectl, helm) set, cluster.sh down.
# The command's exit code is this script's; a cluster that did not come up, or a teardown that left something
# behind, is exit 1.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LOCK=/tmp/fleet.lock

if [[ ${1:-} != --locked ]]; then
  (($#)) || { echo "usage: with-cluster.sh command [args...]" >&2; exit 2; }
  started=$SECONDS
  bash "$here/tools.sh" build || exit 1
  echo "[k8s] binaries ready in $((SECONDS - started)) s; waiting for $LOCK" >&2
  exec flock "$LOCK" bash "$here/with-cluster.sh" --locked "$@"
fi
shift

down() {
  bash "$here/cluster.sh" down || status=1
}
status=1
trap 'down; exit $status' EXIT
trap 'exit 130' INT TERM

environment=$(bash "$here/cluster.sh" up) || { echo "[k8s] the cluster did not come up" >&2; exit 1; }
bash "$here/images.sh" fleet || exit 1
bash "$here/images.sh" keda || exit 1
while IFS='=' read -r name value; do
  [[ $name == PATH ]] && value=${value%:\$PATH}:$PATH
  export "$name=$value"
done <<<"$environment"

"$@"
status=$?
