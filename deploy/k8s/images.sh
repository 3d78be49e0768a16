#!/usr/bin/env bash
# Images for the single-node cluster (deploy/k8s/cluster.sh): no registry is reachable, so every image goes from
# podman into the cluster's containerd with `podman save | ctr -n k8s.io images import`.
#
#   images.sh system   the pod sandbox's pause image (the name containerd asks for) and CoreDNS, each one static
#                      binary of deploy/k8s/tools.sh in an otherwise empty image
#   images.sh fleet    the services' images (the Dockerfile's targets, built as make up builds them, tagged
#                      kafka-fleet/<service>:local) and apache/kafka:4.3.1 (podman's stand-in where no registry is
#                      reachable: deploy/podman/engine.sh)
#   images.sh keda     KEDA's operator and metrics API server (deploy/k8s/tools.sh), as KEDA_IMAGE and
#                      KEDA_METRICS_IMAGE, run as KEDA's own images run (user 65532)
# Hold /tmp/fleet.lock (podman).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
say() { printf '[k8s-images] %s\n' "$*" >&2; }
die() { printf '[k8s-images] error: %s\n' "$*" >&2; exit 1; }

CONTAINERD_SOCKET=/run/kafka-fleet-k8s/containerd/containerd.sock
PAUSE_IMAGE=registry.k8s.io/pause:3.10.1
COREDNS_IMAGE=localhost/kafka-fleet/coredns:local
SERVICES=(producer single-consumer batch-consumer)
KAFKA_IMAGE=docker.io/apache/kafka:4.3.1
# Read by test/k8s/kube.ts too (it puts them into KEDA's manifests).
KEDA_IMAGE=localhost/kafka-fleet/keda:local
KEDA_METRICS_IMAGE=localhost/kafka-fleet/keda-metrics-apiserver:local

import() { # image...
  podman save --multi-image-archive --format docker-archive "$@" |
    ctr --address "$CONTAINERD_SOCKET" -n k8s.io images import - >/dev/null ||
    die "importing $* into the cluster's containerd failed"
}

# One static binary as an image's only file, run by root or by the user given.
binary_image() { # image binary [user]
  local ctx name
  ctx=$(mktemp -d /var/tmp/kafka-fleet-k8s-image.XXXXXX)
  name=$(basename "$2")
  cp -L "$2" "$ctx/$name"
  {
    printf 'FROM scratch\nCOPY %s /%s\n' "$name" "$name"
    [[ -z ${3:-} ]] || printf 'USER %s\n' "$3"
    printf 'ENTRYPOINT ["/%s"]\n' "$name"
  } >"$ctx/Containerfile"
  podman build --quiet --format docker -t "$1" -f "$ctx/Containerfile" "$ctx" >/dev/null || die "building $1 failed"
  rm -rf "$ctx"
}

system() {
  local bin
  bin=$(bash "$here/tools.sh" bindir)
  binary_image "$PAUSE_IMAGE" "$bin/pause"
  binary_image "$COREDNS_IMAGE" "$bin/coredns"
  import "$PAUSE_IMAGE" "$COREDNS_IMAGE"
  say "imported $PAUSE_IMAGE and $COREDNS_IMAGE"
}

fleet() {
  local started=$SECONDS service images=()
  # The stand-in base images (node, apache/kafka) where no registry serves them; nothing when they are current.
  bash "$repo/deploy/podman/engine.sh" images
  for service in "${SERVICES[@]}"; do
    podman build --quiet --network=host --format docker --target "$service" -t "kafka-fleet/$service:local" "$repo" >/dev/null ||
      die "building kafka-fleet/$service:local failed"
    images+=("docker.io/kafka-fleet/$service:local")
  done
  import "${images[@]}" "$KAFKA_IMAGE"
  say "built and imported ${images[*]} $KAFKA_IMAGE in $((SECONDS - started)) s"
}

keda() {
  local bin
  bin=$(bash "$here/tools.sh" bindir)
  binary_image "$KEDA_IMAGE" "$bin/keda" 65532:65532
  binary_image "$KEDA_METRICS_IMAGE" "$bin/keda-adapter" 65532:65532
  import "$KEDA_IMAGE" "$KEDA_METRICS_IMAGE"
  say "imported $KEDA_IMAGE and $KEDA_METRICS_IMAGE"
}

case ${1:-} in
  system) system ;;
  fleet) fleet ;;
  keda) keda ;;
  *) die "usage: images.sh system|fleet|keda" ;;
esac
