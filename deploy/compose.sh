#!/usr/bin/env bash
# The fleet with Docker Compose (docker-compose.yml): what `make up`, `make down`, `make logs` and `make ps` run.
#
#   compose.sh up     build the images, start everything, print the URLs
#   compose.sh down   stop and remove the containers (volumes stay; `docker compose down -v` wipes Kafka's data)
#   compose.sh logs   follow every container's log
#   compose.sh ps     list the containers and their health
#
# Scale the batch consumers with: docker compose up -d --scale batch-consumer=3
# Without a reachable Docker engine it says so in one line, points to the local runner, and exits 1.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"

say() { printf '[compose] %s\n' "$*"; }
die() { printf '[compose] error: %s\n' "$*" >&2; exit 1; }

no_engine() {
  die "no reachable Docker engine ($1); run the fleet as local processes instead: make up-local"
}

# Compose v2 (`docker compose`) when there is one, else the standalone v1 `docker-compose`.
compose() {
  if docker compose version >/dev/null 2>&1; then docker compose "$@"; else docker-compose "$@"; fi
}

require_engine() {
  command -v docker >/dev/null 2>&1 || no_engine "the docker command is not installed"
  docker compose version >/dev/null 2>&1 || command -v docker-compose >/dev/null 2>&1 ||
    no_engine "neither 'docker compose' nor 'docker-compose' is installed"
  # `docker info` asks the engine itself; the timeout covers a socket that accepts but never answers.
  timeout 20 docker info >/dev/null 2>&1 || no_engine "'docker info' failed${DOCKER_HOST:+ for DOCKER_HOST=$DOCKER_HOST}"
}

up() {
  # The host listeners of the Compose brokers are the local cluster's ports: both cannot run at once.
  if (exec 3<>/dev/tcp/127.0.0.1/9092) 2>/dev/null; then
    die "port 9092 is taken (the local cluster? stop it with 'make down-local' or 'make cluster-down')"
  fi
  compose up -d --build
  say "kafka-fleet is starting (services wait for the init-topics step). URLs:"
  say "  kafka-ui    http://localhost:8080"
  say "  Grafana     http://localhost:3000  (dashboard 'kafka-fleet'; anonymous view, admin/admin to edit)"
  say "  Prometheus  http://localhost:9090  (targets: http://localhost:9090/targets)"
  say "  Kafka       127.0.0.1:9092,127.0.0.1:9094,127.0.0.1:9096"
  say "scale: docker compose up -d --scale batch-consumer=3   logs: make logs   stop: make down"
}

case "${1:-}" in
  up) require_engine; up ;;
  down) require_engine; compose down ;;
  logs) require_engine; compose logs -f --tail=50 ;;
  ps) require_engine; compose ps ;;
  *) die "usage: compose.sh up|down|logs|ps" ;;
esac
