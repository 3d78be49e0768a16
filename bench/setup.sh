#!/usr/bin/env bash
# What the benchmark needs beyond `make setup`: the seed's Python stack in a throwaway venv under .run/
# (git-ignored), librdkafka's rdkafka_performance built under .run/, and Kafka's jars (fetched by the local cluster
# script on first use).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.run/bench-venv
# Pinned so that runs compare like with like.
CONFLUENT_KAFKA=2.16.1
if ! "$VENV/bin/python" -c "import sys, importlib.metadata as m; sys.exit(m.version('confluent-kafka') != '$CONFLUENT_KAFKA')" 2>/dev/null; then
  echo "bench: creating $VENV with confluent-kafka $CONFLUENT_KAFKA" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet "confluent-kafka==$CONFLUENT_KAFKA"
fi
# `up` is idempotent: it starts the local cluster only if it is not running (and fetches the jars once).
bash deploy/local/cluster.sh up >&2
# librdkafka's own perf tool, a peer of the throughput part: built against the binding's librdkafka, and again
# when the binding's librdkafka is another version than the one it was built against (its usage text names it).
want=$(sed -n 's/^#define RD_KAFKA_VERSION \(0x[0-9a-f]*\)$/\1/p' \
  node_modules/@confluentinc/kafka-javascript/deps/librdkafka/src/rdkafka.h)
have=$({ .run/rdkafka_performance 2>&1 || true; } | sed -n 's/^librdkafka version .* (\(0x[0-9a-f]*\))$/\1/p')
[[ -n "$have" && "$have" == "$want" ]] || bash bench/rdkafka-performance.sh >&2
