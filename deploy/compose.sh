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
#
# So that the user's own `docker compose ...` works as typed afterwards, `up` also installs Compose v2+ as a docker
# CLI plugin where there is none (deploy/compose-plugin.sh), and writes COMPOSE_PROFILES into the project's .env:
# the optional services (kafka-ui, grafana) whose image this machine can have. An exported COMPOSE_PROFILES wins.
# It also writes GRAFANA_ADMIN_PASSWORD there, generated, when neither the environment nor .env has one: Grafana
# gets no admin/admin default, and nobody has to invent a password to see a dashboard.
# TRACING=1 make up adds Jaeger (the `jaeger` profile; on podman its stand-in image is built from the binary of
# deploy/tracing/jaeger.sh, long the first time) and writes OTEL_EXPORTER_OTLP_ENDPOINT=http://jaeger:4318 into .env
# for the services; a later make up without it takes both out again.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
PODMAN_SOCKET=/run/podman/podman.sock

say() { printf '[compose] %s\n' "$*"; }
die() { printf '[compose] error: %s\n' "$*" >&2; exit 1; }

# Compose v2+ (`docker compose`) when there is one, else the standalone v1 `docker-compose`.
has_compose_plugin() { command -v docker >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; }
compose() {
  if has_compose_plugin; then docker compose "$@"; else docker-compose "$@"; fi
}
compose_cmd() { if has_compose_plugin; then echo "docker compose"; else echo "docker-compose"; fi; }

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

# The optional services: each behind a profile of its own name in docker-compose.yml (kafka-ui, grafana), but
# jaeger, which only TRACING=1 turns on.
optional_services() { compose config --profiles | grep -vx jaeger || true; }
TRACING_PROFILE=jaeger
# Where the services send their spans with TRACING=1: Jaeger's OTLP/HTTP receiver on the stack's network.
TRACING_ENDPOINT=http://jaeger:4318

# Whether a service's image can be had: Docker pulls as usual; podman reaches no registry here, so the image must
# already be local (the stand-ins engine.sh builds, or one loaded by hand).
image_available() {
  [[ $ENGINE == podman ]] || return 0
  local image
  image=$(COMPOSE_PROFILES=$1 compose config | awk -v service="$1" '
      /^services:/ { in_services = 1; next }
      in_services && /^[^ ]/ { in_services = 0 }
      in_services && /^  [a-z0-9-]+:$/ { current = substr($1, 1, length($1) - 1) }
      in_services && current == service && /^    image:/ { print $2 }')
  [[ -n $image ]] && podman image exists "$image"
}

# NAME=value as the one line of that name in the project's .env, keeping every other line the user wrote there.
set_dotenv() {
  local file=$REPO/.env
  if [[ ! -f $file ]]; then
    # The project name keeps containers and volumes named kafka-fleet-* whatever the checkout's folder is called.
    cat >"$file" <<'HEADER'
# The project's Compose settings, read by `docker compose` and `docker-compose` alike; not in git. make up keeps
# COMPOSE_PROFILES: the optional services whose image this machine can have, and GRAFANA_ADMIN_PASSWORD (generated
# when unset). Add your own lines: values for the names in deploy/compose/services.env (secrets too), or host ports
# (KAFKA_UI_HOST_PORT=18080).
COMPOSE_PROJECT_NAME=kafka-fleet
HEADER
  fi
  if grep -q "^$1=" "$file"; then
    local rest
    rest=$(grep -v "^$1=" "$file" || true)
    { if [[ -n $rest ]]; then printf '%s\n' "$rest"; fi; printf '%s=%s\n' "$1" "$2"; } >"$file"
  else
    [[ -s $file && -n $(tail -c 1 "$file") ]] && echo >>"$file"
    printf '%s=%s\n' "$1" "$2" >>"$file"
  fi
}

unset_dotenv() {
  local file=$REPO/.env rest
  [[ -f $file ]] && grep -q "^$1=" "$file" || return 0
  rest=$(grep -v "^$1=" "$file" || true)
  printf '%s\n' "$rest" >"$file"
}

# The profiles to turn on: an exported COMPOSE_PROFILES as it is (with jaeger added for TRACING=1), else every
# optional service whose image can be had, and jaeger with TRACING=1, written to .env so that the user's own
# `docker compose ...` starts the same services.
choose_profiles() {
  if [[ -n ${COMPOSE_PROFILES+set} ]]; then
    if ((TRACING)) && [[ ,$COMPOSE_PROFILES, != *,$TRACING_PROFILE,* ]]; then
      export COMPOSE_PROFILES="${COMPOSE_PROFILES:+$COMPOSE_PROFILES,}$TRACING_PROFILE"
    fi
    return 0
  fi
  local service enabled=()
  while read -r service; do
    if image_available "$service"; then enabled+=("$service"); else LEFT_OUT+=("$service"); fi
  done < <(optional_services)
  if ((TRACING)); then
    image_available "$TRACING_PROFILE" || die "TRACING=1: no image for jaeger (podman: deploy/podman/engine.sh images with TRACING=1 builds it)"
    enabled+=("$TRACING_PROFILE")
  fi
  local IFS=,
  export COMPOSE_PROFILES="${enabled[*]}"
  set_dotenv COMPOSE_PROFILES "$COMPOSE_PROFILES"
}

# The services' trace endpoint in .env with TRACING=1 (an exported OTEL_EXPORTER_OTLP_ENDPOINT still wins, as the
# environment does over .env); without it, the line make up wrote is taken out, and one the user wrote stays.
choose_tracing_endpoint() {
  if ((TRACING)); then
    set_dotenv OTEL_EXPORTER_OTLP_ENDPOINT "$TRACING_ENDPOINT"
  elif [[ $(dotenv_value OTEL_EXPORTER_OTLP_ENDPOINT) == "$TRACING_ENDPOINT" ]]; then
    unset_dotenv OTEL_EXPORTER_OTLP_ENDPOINT
  fi
}

# Grafana's admin password: the caller's, else the one in .env, else a new random one written to .env (mode 600:
# it holds a secret). Never printed.
dotenv_value() { if [[ -f $REPO/.env ]]; then sed -n "s/^$1=//p" "$REPO/.env" | tail -n 1; fi; }
ensure_grafana_password() {
  if [[ -n ${GRAFANA_ADMIN_PASSWORD:-} || -n $(dotenv_value GRAFANA_ADMIN_PASSWORD) ]]; then return 0; fi
  local password
  password=$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')
  set_dotenv GRAFANA_ADMIN_PASSWORD "$password"
  chmod 600 "$REPO/.env"
  say "generated Grafana's admin password into .env (GRAFANA_ADMIN_PASSWORD)"
}

# Variables of the services' environment that docker-compose.yml fixes: a value in the caller's environment is not
# used, and make up says so rather than drop it without a word.
FIXED_VARIABLES=(KAFKA_BOOTSTRAP_SERVERS KAFKA_TOPIC KAFKA_TOPIC_PATTERN METRICS_HOST METRICS_PORT SHUTDOWN_GRACE_MS CONSUMER_GROUP RESULTS_TOPIC DLQ_TOPIC)
SERVICES_ENV=deploy/compose/services.env

# A KAFKA_CLIENT_* that services.env does not name would not reach the services: refuse to start without it.
check_client_properties() {
  local name
  while read -r name; do
    grep -qE "^$name(=|\$)" "$SERVICES_ENV" ||
      { printf '[compose] error: %s is set, but %s does not name it, so Compose would not pass it on: add a line %s there\n' \
        "$name" "$SERVICES_ENV" "$name" >&2; exit 2; }
  done < <(compgen -e | grep '^KAFKA_CLIENT_' || true)
}

note_fixed_variables() {
  local name
  for name in "${FIXED_VARIABLES[@]}"; do
    if [[ -n ${!name:-} ]]; then say "not used: $name from the environment (docker-compose.yml fixes it for this stack)"; fi
  done
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

# kafka-ui's read-only switch, from the environment or .env: a value Spring would read some other way is refused.
check_kafka_ui_readonly() {
  local value=${KAFKA_UI_READONLY:-$(dotenv_value KAFKA_UI_READONLY)}
  [[ -z $value || $value == true || $value == false ]] ||
    { printf '[compose] error: KAFKA_UI_READONLY=%s: expected true (the default: kafka-ui can only look) or false (it can produce, delete and change configs)\n' "$value" >&2; exit 2; }
}

# TRACING=1 make up: with Jaeger (and the services' spans sent to it); 0 or unset: without.
check_tracing() {
  [[ ${TRACING:-0} =~ ^[01]$ ]] ||
    { printf '[compose] error: TRACING=%s: expected 1 (with Jaeger: README, Traces) or 0 (the default: without)\n' "$TRACING" >&2; exit 2; }
  TRACING=${TRACING:-0}
  export TRACING
}

up() {
  check_client_properties
  check_kafka_ui_readonly
  check_tracing
  use_engine start
  note_fixed_variables
  # The user's own `docker compose ...` needs the plugin; without one, make up still runs on v1 docker-compose.
  bash deploy/compose-plugin.sh install || say "going on with $(compose_cmd)"
  # The brokers' host listeners default to the local cluster's ports: both cannot run at once.
  local port
  for port in "${KAFKA_1_HOST_PORT:-9092}" "${KAFKA_2_HOST_PORT:-9094}" "${KAFKA_3_HOST_PORT:-9096}"; do
    if ! port_free "$port" && ! compose ps -q kafka-1 2>/dev/null | grep -q .; then
      die "port $port is taken (the local cluster? stop it with 'make down-local' or 'make cluster-down')"
    fi
  done
  LEFT_OUT=()
  choose_profiles
  choose_tracing_endpoint
  ensure_grafana_password
  local scale=()
  [[ -n ${BATCH_CONSUMERS:-} ]] && scale=(--scale "batch-consumer=$BATCH_CONSUMERS")
  local started=$SECONDS
  # The app images share one build stage (the client's addon and librdkafka compiled: minutes). Built for one service
  # first, so the others find that stage in the layer cache; built side by side from cold, as `up --build` does, each
  # compiled it at once on the same cores (three times the work on a fresh machine).
  compose build producer
  compose up -d --build "${scale[@]}"
  say "kafka-fleet is up on $ENGINE in $((SECONDS - started)) s (the services start once init-topics has made the topics)"
  ((${#LEFT_OUT[@]})) &&
    say "left out: ${LEFT_OUT[*]} (no image registry is reachable from this machine and their images cannot be built here)"
  [[ ,$COMPOSE_PROFILES, == *,kafka-ui,* ]] &&
    say "  kafka-ui    http://localhost:${KAFKA_UI_HOST_PORT:-8080}  ($([[ ${KAFKA_UI_READONLY:-$(dotenv_value KAFKA_UI_READONLY)} == false ]] && echo "editing on" || echo "read-only; KAFKA_UI_READONLY=false make up to edit"))"
  [[ ,$COMPOSE_PROFILES, == *,grafana,* ]] &&
    say "  Grafana     http://localhost:${GRAFANA_HOST_PORT:-3000}  (dashboard 'kafka-fleet'; anonymous view; to edit, admin with GRAFANA_ADMIN_PASSWORD from .env)"
  say "  Prometheus  http://localhost:${PROMETHEUS_HOST_PORT:-9090}  (targets: http://localhost:${PROMETHEUS_HOST_PORT:-9090}/targets)"
  [[ ,$COMPOSE_PROFILES, == *,$TRACING_PROFILE,* ]] &&
    say "  Jaeger      http://localhost:${JAEGER_HOST_PORT:-16686}  (query API: /api/traces?service=batch-consumer; README, Traces)"
  say "  Kafka       127.0.0.1:${KAFKA_1_HOST_PORT:-9092},127.0.0.1:${KAFKA_2_HOST_PORT:-9094},127.0.0.1:${KAFKA_3_HOST_PORT:-9096}"
  say "scale: $(compose_cmd) up -d --scale batch-consumer=3   logs: make logs   stop: make down"
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
