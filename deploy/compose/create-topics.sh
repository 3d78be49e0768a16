#!/usr/bin/env bash
# One-shot init of the Compose fleet (service init-topics, run from the apache/kafka image): waits until every
# broker is registered, then creates the input, results and dead-letter topics idempotently and checks the
# layout of each. The app services start only once this has exited 0, so none of them races a missing topic,
# and with auto-create off no topic appears by accident (the seed's manual create raced a 60 s auto-create).
#
# Environment: KAFKA_BOOTSTRAP_SERVERS, KAFKA_TOPIC, RESULTS_TOPIC, DLQ_TOPIC, TOPIC_PARTITIONS (6),
#   EXPECTED_BROKERS (3, also the replication factor), INIT_TIMEOUT_S (180), KAFKA_BIN (/opt/kafka/bin).
# test/deploy/create-topics.test.ts runs this very script against the local cluster.
set -euo pipefail

bootstrap=${KAFKA_BOOTSTRAP_SERVERS:?KAFKA_BOOTSTRAP_SERVERS is required}
bin=${KAFKA_BIN:-/opt/kafka/bin}
partitions=${TOPIC_PARTITIONS:-6}
brokers=${EXPECTED_BROKERS:-3}
timeout_s=${INIT_TIMEOUT_S:-180}
topics=("${KAFKA_TOPIC:-topic_app}" "${RESULTS_TOPIC:-topic_app.results}" "${DLQ_TOPIC:-topic_app.dlq}")

say() { printf '[init-topics] %s\n' "$*"; }
die() { printf '[init-topics] error: %s\n' "$*" >&2; exit 1; }

# kafka-broker-api-versions prints one "host:port (id: N rack: ...) -> (" block per live broker.
live_brokers() { { "$bin/kafka-broker-api-versions.sh" --bootstrap-server "$bootstrap" 2>/dev/null || true; } | grep -c '(id: ' || true; }

deadline=$((SECONDS + timeout_s))
until (( $(live_brokers) >= brokers )); do
  (( SECONDS < deadline )) || die "fewer than $brokers brokers reachable at $bootstrap after ${timeout_s}s"
  say "waiting for $brokers brokers at $bootstrap ..."
  sleep 2
done

for topic in "${topics[@]}"; do
  "$bin/kafka-topics.sh" --bootstrap-server "$bootstrap" --create --if-not-exists --topic "$topic" \
    --partitions "$partitions" --replication-factor "$brokers" --config min.insync.replicas=2
  # --if-not-exists accepts an existing topic of any shape: check the one that is there.
  layout=$("$bin/kafka-topics.sh" --bootstrap-server "$bootstrap" --describe --topic "$topic" | head -n 1)
  [[ $layout =~ PartitionCount:[[:space:]]*${partitions}[[:space:]] && $layout =~ ReplicationFactor:[[:space:]]*${brokers}[[:space:]] \
     && $layout =~ min\.insync\.replicas=2([^0-9]|$) ]] ||
    die "topic $topic exists with another layout than $partitions partitions, RF $brokers, min.insync.replicas=2: $layout"
  say "topic $topic ready: $partitions partitions, RF $brokers, min.insync.replicas=2"
done
