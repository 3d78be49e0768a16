#!/usr/bin/env bash
# The fleet with Docker Compose (docker-compose.yml): what `make up`, `make down`, `make logs` and `make ps` run.
#
#   compose.sh up     build the images, start everything, print the URLs and the scale command
#   compose.sh down   stop and remove the containers (volumes stay; add `-v` by hand to wipe Kafka's data)
#   compose.sh logs   follow every container's log
#   compose.sh ps     list the containers and their health
#
# The engine: a Docker engine when one answers; otherwise Debian's podman behind its Docker-compatible API
# (deploy/podman/engine.sh sets it up, idempotently, and builds the base images no registry can serve here).
# KAFKA_FLEET_ENGINE=docker|podman picks one. BATCH_CONSUMERS=3 make up starts three batch consumers.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
PODMAN_SOCKET=/run/podman/podman.sock

say() { printf '[compose] %s\n' "$*"; }
die() { printf '[compose] error: %s\n' "$*" >&2; exit 1; }

# Compose v2 (`docker compose`) when there is one, else the standalone v1 `docker-compose`.
compose() {
  if docker compose version >/dev/null 2>&1; then docker compose "$@"; else docker-compose "$@"; fi
}
compose_cmd() { if docker compose version >/dev/null 2>&1; then echo "docker compose"; else echo "docker-compose"; fi; }

docker_answers() { command -v docker >/dev/null 2>&1 && timeout 20 docker info >/dev/null 2>&1; }
served_by_podman() { docker version --format '{{range .Server.Components}}{{.Name}} {{end}}' 2>/dev/null | grep -qi podman; }

pick_engine() {
  case "${KAFKA_FLEET_ENGINE:-}" in
    docker | podman) echo "$KAFKA_FLEET_ENGINE"; return ;;
    "") ;;
    *) die "KAFKA_FLEET_ENGINE=$KAFKA_FLEET_ENGINE: expected docker or podman" ;;
  esac
  if [[ -z ${DOCKER_HOST:-} || $DOCKER_HOST != "unix://$PODMAN_SOCKET" ]] && docker_answers && ! served_by_podman; then
    echo docker
  elif command -v podman >/dev/null 2>&1 || { [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; }; then
    echo podman
  else
    die "no reachable Docker engine, and podman is neither installed nor installable here (needs root and apt-get);
        run the fleet as local processes instead: make up-local"
  fi
}

ENGINE=$(pick_engine)

# Services whose image can be neither pulled nor built here: on podman (no registry reachable) that is every
# service with a registry image that is not already local. Docker pulls as usual, so nothing is left out there.
unavailable_services() {
  [[ $ENGINE == podman ]] || return 0
  local service image
  while read -r service image; do
    [[ -n $image ]] || continue
    podman image exists "$image" || echo "$service"
  done < <(compose config | awk '
      /^services:/ { in_services = 1; next }
      in_services && /^[^ ]/ { in_services = 0 }
      in_services && /^  [a-z0-9-]+:$/ { service = substr($1, 1, length($1) - 1); has_build[service] = 0 }
      in_services && /^    build:/ { has_build[service] = 1 }
      in_services && /^    image:/ { image[service] = $2 }
      END { for (s in image) if (!has_build[s]) print s, image[s] }')
}

use_engine() {
  if [[ $ENGINE == podman ]]; then
    bash deploy/podman/engine.sh "$@"
    export DOCKER_HOST="unix://$PODMAN_SOCKET"
  else
    docker_answers ||
      die "no reachable Docker engine ('docker info' failed${DOCKER_HOST:+ for DOCKER_HOST=$DOCKER_HOST}); run the fleet as local processes instead: make up-local"
  fi
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

up() {
  use_engine start
  # The brokers' host listeners default to the local cluster's ports: both cannot run at once.
  local port
  for port in "${KAFKA_1_HOST_PORT:-9092}" "${KAFKA_2_HOST_PORT:-9094}" "${KAFKA_3_HOST_PORT:-9096}"; do
    if ! port_free "$port" && ! compose ps -q kafka-1 2>/dev/null | grep -q .; then
      die "port $port is taken (the local cluster? stop it with 'make down-local' or 'make cluster-down')"
    fi
  done
  local left_out services=() service
  left_out=$(unavailable_services | sort | tr '\n' ' ')
  while read -r service; do
    [[ " $left_out " == *" $service "* ]] || services+=("$service")
  done < <(compose config --services)
  local scale=()
  [[ -n ${BATCH_CONSUMERS:-} ]] && scale=(--scale "batch-consumer=$BATCH_CONSUMERS")
  local started=$SECONDS
  compose up -d --build "${scale[@]}" "${services[@]}"
  say "kafka-fleet is up on $ENGINE in $((SECONDS - started)) s (the services start once init-topics has made the topics)"
  [[ -n $left_out ]] && say "left out: ${left_out% } (no image registry is reachable from this machine and their images cannot be built here)"
  [[ " $left_out " == *" kafka-ui "* ]] || say "  kafka-ui    http://localhost:${KAFKA_UI_HOST_PORT:-8080}"
  [[ " $left_out " == *" grafana "* ]] ||
    say "  Grafana     http://localhost:${GRAFANA_HOST_PORT:-3000}  (dashboard 'kafka-fleet'; anonymous view, admin/admin to edit)"
  say "  Prometheus  http://localhost:${PROMETHEUS_HOST_PORT:-9090}  (targets: http://localhost:${PROMETHEUS_HOST_PORT:-9090}/targets)"
  say "  Kafka       127.0.0.1:${KAFKA_1_HOST_PORT:-9092},127.0.0.1:${KAFKA_2_HOST_PORT:-9094},127.0.0.1:${KAFKA_3_HOST_PORT:-9096}"
  # Naming the service keeps compose from trying to start (and pull) what was left out.
  if [[ -n $left_out ]]; then
    say "scale: $(compose_cmd) up -d --scale batch-consumer=3 batch-consumer   logs: make logs   stop: make down"
  else
    say "scale: $(compose_cmd) up -d --scale batch-consumer=3   logs: make logs   stop: make down"
  fi
}

down() {
  use_engine api
  compose down "$@"
  [[ $ENGINE == podman ]] && bash deploy/podman/engine.sh stop
  return 0
}

case "${1:-}" in
  up) up ;;
  down) shift; down "$@" ;;
  logs) use_engine api; compose logs -f --tail=50 ;;
  ps) use_engine api; compose ps ;;
  *) die "usage: compose.sh up|down|logs|ps" ;;
esac
