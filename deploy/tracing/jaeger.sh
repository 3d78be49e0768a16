#!/usr/bin/env bash
# Jaeger (v2, all-in-one: OTLP receiver, in-memory trace store, query API and UI in one Go program), the trace
# backend of `make up-local TRACING=1` and of the tracing test. Built from the Go module proxy
# (github.com/jaegertracing/jaeger/cmd/jaeger at JAEGER_VERSION) into the cache outside the repository
# (~/.cache/kafka-fleet/bin, or $KAFKA_FLEET_CACHE) on first use, then reused. Cold it compiles about 2,300 Go
# packages: 54 minutes here on 2 cores busy with other work; the Go module cache grows by about 1 GB. The build
# runs under `nice -n 19`: CI shares the machine.
#
#   bash deploy/tracing/jaeger.sh path    prints the binary's path (building it first when missing)
#   bash deploy/tracing/jaeger.sh run     runs it in the foreground on loopback, with deploy/tracing/jaeger.yaml:
#                                         OTLP over HTTP on JAEGER_OTLP_PORT (4318), the query API and UI on
#                                         JAEGER_UI_PORT (16686); traces kept in memory only
#
# The module's sources hold no built UI (its assets come from a separate repository at release time), so the
# UI page is Jaeger's placeholder; the query API (/api/services, /api/traces) is whole, and that is what the
# tests read. Jaeger's own telemetry is off (no port 8888 taken).
set -euo pipefail

# The Jaeger v2 release v2.13.0 is tagged v1.76.0 in its Go module (v1 and v2 ship from one module).
JAEGER_VERSION=v1.76.0
JAEGER_PACKAGE=github.com/jaegertracing/jaeger/cmd/jaeger

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
say() { printf '[jaeger] %s\n' "$*" >&2; }
die() { printf '[jaeger] error: %s\n' "$*" >&2; exit 1; }

# shellcheck source=../go-tools.sh
source "$here/../go-tools.sh"
binary=$go_tools_bin/jaeger-$JAEGER_VERSION

ensure_binary() {
  [[ -x $binary ]] && return 0
  local started=$SECONDS
  say "building Jaeger $JAEGER_VERSION from the Go module proxy (once; about 2,300 Go packages: 54 minutes on 2 busy cores here, fewer on idle ones)"
  # At the lowest priority, go and its compilers included: CI shares the machine.
  renice -n 19 -p $$ >/dev/null
  CGO_ENABLED=0 go_build_package "$JAEGER_PACKAGE" "$JAEGER_VERSION" "$binary"
  say "built in $((SECONDS - started)) s: $binary"
}

port_ok() { [[ $1 =~ ^[0-9]{1,5}$ ]] && ((10#$1 >= 1024 && 10#$1 <= 65535)); }

case ${1:-} in
  path)
    ensure_binary
    echo "$binary"
    ;;
  run)
    export JAEGER_OTLP_PORT=${JAEGER_OTLP_PORT:-4318} JAEGER_UI_PORT=${JAEGER_UI_PORT:-16686}
    port_ok "$JAEGER_OTLP_PORT" || { printf '[jaeger] error: JAEGER_OTLP_PORT="%s": expected a port from 1024 to 65535, e.g. 4318\n' "$JAEGER_OTLP_PORT" >&2; exit 2; }
    port_ok "$JAEGER_UI_PORT" || { printf '[jaeger] error: JAEGER_UI_PORT="%s": expected a port from 1024 to 65535, e.g. 16686\n' "$JAEGER_UI_PORT" >&2; exit 2; }
    ensure_binary
    exec "$binary" --config "$here/jaeger.yaml"
    ;;
  *) die "usage: jaeger.sh path|run" ;;
esac
