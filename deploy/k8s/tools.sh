#!/usr/bin/env bash
# The programs a single-node Kubernetes is assembled from (deploy/k8s/cluster.sh), built from the Go module proxy
# into the cache outside the repository (~/.cache/kafka-fleet/bin, or $KAFKA_FLEET_CACHE) on first use, then reused:
#   kubernetes   kube-apiserver, kube-controller-manager, kube-scheduler, kubelet, kube-proxy and kubectl at
#                K8S_VERSION, in one `go build` (they share most packages), through a wrapper module (below)
#   etcd         go.etcd.io/etcd/server/v3 at ETCD_VERSION
#   coredns      github.com/coredns/coredns at COREDNS_VERSION (the cluster's DNS, run as a pod)
#   pause        deploy/k8s/pause: the pod sandbox's process, static
#   keda         github.com/kedacore/keda/v2 at KEDA_VERSION: its operator and its external metrics API server
#                (the chart's ScaledObject checked for real), through a wrapper module that keeps keda's replaces
#   helm         deploy/helm/tools.sh's
# Builds run under `nice -n 19`: CI shares the machine. Cold, on 2 loaded cores, all of it takes about 35 minutes
# (kube-apiserver's packages most of it), the Go module cache about 500 MB more.
#
#   bash deploy/k8s/tools.sh build     builds what is missing, says how long each took
#   bash deploy/k8s/tools.sh bindir    prints the directory holding all of them by their plain names (building
#                                      what is missing first)
#   bash deploy/k8s/tools.sh keda-manifests
#                                      prints KEDA's own kustomize directory (config/minimal: CRDs, RBAC, the
#                                      operator and the metrics API server, no admission webhooks) of KEDA_VERSION
set -euo pipefail

K8S_VERSION=v1.34.4
ETCD_VERSION=v3.6.16
COREDNS_VERSION=v1.15.0
# The newest KEDA whose CRDs the chart is validated against (deploy/helm/check.sh) and that supports Kubernetes 1.34.
KEDA_VERSION=v2.20.2
KEDA_MODULE=github.com/kedacore/keda/v2

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
say() { printf '[k8s-tools] %s\n' "$*" >&2; }
die() { printf '[k8s-tools] error: %s\n' "$*" >&2; exit 1; }

# shellcheck source=../go-tools.sh
source "$here/../go-tools.sh"
cache=$go_tools_cache
bin=$go_tools_bin

# Everything this script starts (go and its compilers) at the lowest priority: CI shares the machine.
renice -n 19 -p $$ >/dev/null
export CGO_ENABLED=0

K8S_COMMANDS=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl)

# Kubernetes is not meant to be required as a module: its go.mod replaces each of its staging modules (k8s.io/api,
# k8s.io/client-go, ...) with a directory of its own repository, which a module that requires it does not see, and
# requires them at v0.0.0. The wrapper module replaces each with its published release of the same minor
# (v1.34.4 -> v0.34.4), the list read from kubernetes' own go.mod.
build_kubernetes() {
  local dir=$cache/build/kubernetes-$K8S_VERSION log go gomod staging
  go=$(go_cmd)
  log=$dir.log
  rm -rf "$dir" && mkdir -p "$dir"
  local staging_version=v0.${K8S_VERSION#v1.}
  local minor=${K8S_VERSION#v1.}
  minor=${minor%%.*}
  local ldflags="-X k8s.io/component-base/version.gitVersion=$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1"
  ldflags+=" -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean"
  ldflags+=" -X k8s.io/client-go/pkg/version.gitVersion=$K8S_VERSION -X k8s.io/client-go/pkg/version.gitMajor=1"
  ldflags+=" -X k8s.io/client-go/pkg/version.gitMinor=$minor"
  if ! (
    set -e
    cd "$dir"
    export GOTOOLCHAIN=local GOFLAGS="-buildvcs=false -mod=mod"
    gomod=$(GOFLAGS=-mod=mod "$go" mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/^\t"GoMod": "\(.*\)",$/\1/p')
    staging=$(sed -n 's#^\s*\(k8s\.io/[a-z0-9-]*\) => \./staging/src/.*#\1#p' "$gomod")
    [[ -n $staging ]] || { echo "no staging modules found in $gomod"; exit 1; }
    "$go" mod init kafka-fleet-kubernetes
    {
      echo "replace ("
      for module in $staging; do echo "  $module => $module $staging_version"; done
      echo ")"
    } >>go.mod
    echo "staging modules replaced: $(echo "$staging" | wc -l)"
    for command in "${K8S_COMMANDS[@]}"; do "$go" get "k8s.io/kubernetes/cmd/$command@$K8S_VERSION"; done
    mkdir -p out
    packages=()
    for command in "${K8S_COMMANDS[@]}"; do packages+=("k8s.io/kubernetes/cmd/$command"); done
    CGO_ENABLED=0 "$go" build -trimpath -ldflags "-s -w $ldflags" -o out/ "${packages[@]}"
  ) >"$log" 2>&1; then
    tail -n 20 "$log" >&2
    die "building Kubernetes $K8S_VERSION failed (log: $log)"
  fi
  for command in "${K8S_COMMANDS[@]}"; do mv "$dir/out/$command" "$bin/$command-$K8S_VERSION"; done
  rm -rf "$dir" "$log"
}

# KEDA's go.mod pins its Kubernetes libraries with a replace block, which a module that requires it does not see:
# the wrapper module copies that block (module => module version lines only).
keda_module_dir() {
  local go
  go=$(go_cmd)
  GOFLAGS=-mod=mod GOTOOLCHAIN=local "$go" mod download -json "$KEDA_MODULE@$KEDA_VERSION" |
    sed -n 's/^\t"Dir": "\(.*\)",$/\1/p'
}

build_keda() {
  local dir=$cache/build/keda-$KEDA_VERSION log go module
  go=$(go_cmd)
  log=$dir.log
  rm -rf "$dir" && mkdir -p "$dir"
  if ! (
    set -e
    cd "$dir"
    export GOTOOLCHAIN=local GOFLAGS="-buildvcs=false -mod=mod"
    module=$(keda_module_dir)
    [[ -f $module/go.mod ]] || { echo "no go.mod in '$module'"; exit 1; }
    "$go" mod init kafka-fleet-keda
    awk '/^replace \(/ { copying = 1 } copying { print } copying && /^\)/ { exit }' "$module/go.mod" >>go.mod
    "$go" get "$KEDA_MODULE/cmd/operator@$KEDA_VERSION" "$KEDA_MODULE/cmd/adapter@$KEDA_VERSION"
    mkdir -p out
    "$go" build -trimpath -ldflags "-s -w -X $KEDA_MODULE/version.Version=$KEDA_VERSION" -o out/ \
      "$KEDA_MODULE/cmd/operator" "$KEDA_MODULE/cmd/adapter"
  ) >"$log" 2>&1; then
    tail -n 20 "$log" >&2
    die "building KEDA $KEDA_VERSION failed (log: $log)"
  fi
  mv "$dir/out/operator" "$bin/keda-operator-$KEDA_VERSION"
  mv "$dir/out/adapter" "$bin/keda-adapter-$KEDA_VERSION"
  rm -rf "$dir" "$log"
}

# name version-file builder...: builds when $bin/name-version is missing, timing it.
ensure() {
  local target=$1
  shift
  [[ -x $target ]] && return 0
  local started=$SECONDS
  say "building $(basename "$target") from the Go module proxy (once)"
  "$@"
  say "$(basename "$target") built in $((SECONDS - started)) s"
}

build_pause() {
  local go
  go=$(go_cmd)
  (cd "$here/pause" && CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-buildvcs=false "$go" build -trimpath \
    -ldflags "-s -w" -o "$1.tmp" .)
  mv "$1.tmp" "$1"
}

pause_name() {
  local sum
  sum=$(cat "$here/pause/go.mod" "$here/pause/main.go" | sha256sum | cut -c1-12)
  echo "$bin/pause-$sum"
}

build_all() {
  ensure "$bin/kube-apiserver-$K8S_VERSION" build_kubernetes
  for command in "${K8S_COMMANDS[@]}"; do [[ -x $bin/$command-$K8S_VERSION ]] || ensure "$bin/$command-$K8S_VERSION" build_kubernetes; done
  ensure "$bin/etcd-$ETCD_VERSION" go_build_package go.etcd.io/etcd/server/v3 "$ETCD_VERSION" "$bin/etcd-$ETCD_VERSION"
  ensure "$bin/coredns-$COREDNS_VERSION" go_build_package github.com/coredns/coredns "$COREDNS_VERSION" "$bin/coredns-$COREDNS_VERSION"
  local pause
  pause=$(pause_name)
  ensure "$pause" build_pause "$pause"
  [[ -x $bin/keda-adapter-$KEDA_VERSION ]] || ensure "$bin/keda-operator-$KEDA_VERSION" build_keda
  bash "$here/../helm/tools.sh" helm >/dev/null
}

# A directory of links by plain names, for PATH and for the cluster's configuration.
bindir() {
  build_all
  local dir=$cache/k8s-bin
  mkdir -p "$dir"
  for command in "${K8S_COMMANDS[@]}"; do ln -sfn "$bin/$command-$K8S_VERSION" "$dir/$command"; done
  ln -sfn "$bin/etcd-$ETCD_VERSION" "$dir/etcd"
  ln -sfn "$bin/coredns-$COREDNS_VERSION" "$dir/coredns"
  ln -sfn "$(pause_name)" "$dir/pause"
  # The names KEDA's manifests run (/keda, /keda-adapter).
  ln -sfn "$bin/keda-operator-$KEDA_VERSION" "$dir/keda"
  ln -sfn "$bin/keda-adapter-$KEDA_VERSION" "$dir/keda-adapter"
  ln -sfn "$(bash "$here/../helm/tools.sh" helm)" "$dir/helm"
  echo "$dir"
}

case ${1:-} in
  build) build_all ;;
  bindir) bindir ;;
  keda-manifests) echo "$(keda_module_dir)/config/minimal" ;;
  *) die "usage: tools.sh build|bindir|keda-manifests" ;;
esac
