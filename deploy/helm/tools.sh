#!/usr/bin/env bash
# The tools that check the Helm chart, built from the Go module proxy into a cache outside the repository
# (~/.cache/kafka-fleet, or $KAFKA_FLEET_CACHE) on first use, then reused:
#   helm                 helm.sh/helm/v4 at HELM_VERSION (`go install`; a cold build takes a few minutes on 2 cores)
#   validate-manifests   deploy/helm/validate: strict decoding into k8s.io/api's types, CRD schemas for the rest
#   CRDs                 KEDA's and the Prometheus Operator's, from their Go modules' zips (config/crd, example/)
#   go                   the toolchain itself (golang.org/toolchain on the proxy) when no recent enough go is installed
# How they are built and cached is shared with the Compose plugin: deploy/go-tools.sh.
#
#   bash deploy/helm/tools.sh helm|validate|crds|go   prints the path(s), building or fetching what is missing
set -euo pipefail

HELM_VERSION=v4.3.2
KEDA_VERSION=v2.20.0 # v2.21 needs go >= 1.27.4
PROMETHEUS_OPERATOR_VERSION=v0.85.0

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

say() { printf '[helm-tools] %s\n' "$*" >&2; }
die() { printf '[helm-tools] error: %s\n' "$*" >&2; exit 1; }

# shellcheck source=../go-tools.sh
source "$here/../go-tools.sh"
cache=$go_tools_cache
bin=$go_tools_bin

helm_path() {
  local helm=$bin/helm-$HELM_VERSION
  if [[ ! -x $helm ]]; then
    local go started=$SECONDS
    go=$(go_cmd)
    say "building helm $HELM_VERSION from the Go module proxy (once; a few minutes)"
    GOTOOLCHAIN=local GOFLAGS=-buildvcs=false GOBIN=$cache/build "$go" install -trimpath \
      -ldflags "-s -w -X helm.sh/helm/v4/internal/version.version=$HELM_VERSION" \
      "helm.sh/helm/v4/cmd/helm@$HELM_VERSION" >&2
    mv "$cache/build/helm" "$helm"
    say "helm built in $((SECONDS - started)) s"
  fi
  echo "$helm"
}

validate_path() {
  # Named after its sources, so that a change to them builds it again.
  local sum
  sum=$(cat "$here/validate/go.mod" "$here/validate/go.sum" "$here/validate/main.go" | sha256sum | cut -c1-12)
  local validate=$bin/validate-manifests-$sum
  if [[ ! -x $validate ]]; then
    local go started=$SECONDS
    go=$(go_cmd)
    say "building deploy/helm/validate (once; a few minutes)"
    (cd "$here/validate" && GOTOOLCHAIN=local GOFLAGS=-buildvcs=false "$go" build -trimpath -ldflags "-s -w" -o "$validate.tmp" .) >&2
    mv "$validate.tmp" "$validate"
    say "validate-manifests built in $((SECONDS - started)) s"
  fi
  echo "$validate"
}

module_dir() {
  local go dir
  go=$(go_cmd)
  dir=$(cd "$cache" && GOTOOLCHAIN=local GOFLAGS=-mod=mod "$go" mod download -json "$1" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  [[ -d $dir ]] || die "could not download the Go module $1"
  echo "$dir"
}

crd_paths() {
  local keda monitoring
  keda=$(module_dir "github.com/kedacore/keda/v2@$KEDA_VERSION")
  monitoring=$(module_dir "github.com/prometheus-operator/prometheus-operator@$PROMETHEUS_OPERATOR_VERSION")
  echo "$keda/config/crd/bases/keda.sh_scaledobjects.yaml"
  for kind in podmonitors servicemonitors prometheusrules; do
    echo "$monitoring/example/prometheus-operator-crd/monitoring.coreos.com_$kind.yaml"
  done
}

case ${1:-} in
  helm) helm_path ;;
  validate) validate_path ;;
  crds) crd_paths ;;
  go) go_cmd ;;
  *) die "usage: tools.sh helm|validate|crds|go" ;;
esac
