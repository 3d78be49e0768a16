#!/usr/bin/env bash
# Checks the Helm chart without a cluster (part of `make lint`): `helm lint` and `helm template` with each values
# file of deploy/helm/kafka-fleet/ci/, every rendered manifest validated against the Kubernetes types and against
# KEDA's and the Prometheus Operator's CRDs (tools.sh builds the tools once, outside the repository), and the
# values the chart must refuse, each with its message.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
chart=$here/kafka-fleet
say() { printf '[helm-check] %s\n' "$*"; }
die() { printf '[helm-check] error: %s\n' "$*" >&2; exit 1; }

helm=$(bash "$here/tools.sh" helm)
validate=$(bash "$here/tools.sh" validate)
crd_args=()
while read -r crd; do crd_args+=(-crd "$crd"); done < <(bash "$here/tools.sh" crds)

# Symlinked files (the topic script, the dashboard, the alert rules) are read from their one place in deploy/.
export HELM_CACHE_HOME=${TMPDIR:-/tmp}/kafka-fleet-helm-cache HELM_CONFIG_HOME=${TMPDIR:-/tmp}/kafka-fleet-helm-config
symlink_note='found symbolic link in path'
render() { "$helm" template fleet "$chart" --namespace fleet "$@" 2>&1 | grep -v "$symlink_note"; }

# The validator itself: it must find each fault of its test file.
found=$("$validate" "${crd_args[@]}" -label invalid <"$here/validate/testdata/invalid.yaml" 2>&1) &&
  die "validate-manifests accepted validate/testdata/invalid.yaml"
while read -r expected; do
  grep -qF -- "$expected" <<<"$found" || die "validate-manifests did not report: $expected (it said: $found)"
done <"$here/validate/testdata/invalid.expected"

for values in "$chart"/ci/*.yaml; do
  name=ci/$(basename "$values")
  lint=$("$helm" lint --strict "$chart" -f "$values" 2>&1) || { echo "$lint" >&2; die "helm lint with $name failed"; }
  "$helm" template fleet "$chart" --namespace fleet -f "$values" 2> >(grep -v "$symlink_note" >&2) | "$validate" "${crd_args[@]}" -label "$name" ||
    die "the manifests rendered with $name are not valid"
done

# The chart as `make test-k8s` installs it, and the DNS that deploy/k8s/cluster.sh applies to its cluster.
"$helm" template fleet "$chart" --namespace kafka-fleet-test -f "$here/../../test/k8s/values.yaml" 2> >(grep -v "$symlink_note" >&2) |
  "$validate" "${crd_args[@]}" -label test/k8s/values.yaml || die "the manifests rendered with test/k8s/values.yaml are not valid"
sed -e 's#@DNS_SERVICE_IP@#10.96.0.10#' -e 's#@COREDNS_IMAGE@#localhost/kafka-fleet/coredns:local#' "$here/../k8s/coredns.yaml" |
  "$validate" -label deploy/k8s/coredns.yaml || die "deploy/k8s/coredns.yaml is not valid"

# Values the chart refuses: each must fail with its own message.
refused() {
  local expected=$1
  shift
  local output
  if output=$(render "$@"); then die "rendered with $* but should have failed ($expected)"; fi
  grep -q -- "$expected" <<<"$output" || die "with $*: expected \"$expected\", got: $output"
}
refused "kafka.bootstrapServers is empty"
refused "must be above SHUTDOWN_GRACE_MS" --set kafka.inCluster.enabled=true --set terminationGracePeriodSeconds=10
refused "is above kafka.partitions" --set kafka.inCluster.enabled=true \
  --set batchConsumer.autoscaling.keda.enabled=true --set batchConsumer.autoscaling.keda.maxReplicas=7
refused "choose one" --set kafka.inCluster.enabled=true \
  --set batchConsumer.autoscaling.keda.enabled=true --set batchConsumer.autoscaling.hpa.enabled=true
say "chart lints, renders and validates with $(ls "$chart"/ci/*.yaml | wc -l) values files; refused values refused"
