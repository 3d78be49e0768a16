#!/usr/bin/env bash
# One-shot init of the Compose fleet (service init-topics, run from the apache/kafka image): waits until every
# broker is registered, then creates the input, results and dead-letter topics idempotently and checks the
# layout of each. The app services start only once this has exited 0, so none of them races a missing topic,
# and with auto-create off no topic appears by accident (the seed's manual create raced a 60 s auto-create).
# The dead-letter topic is then made to take a record at the input topic's size limit plus the dlq.* headers.
#
# Environment: KAFKA_BOOTSTRAP_SERVERS, KAFKA_TOPIC, RESULTS_TOPIC, DLQ_TOPIC, TOPIC_PARTITIONS (6),
#   EXPECTED_BROKERS (3, also the replication factor), INIT_TIMEOUT_S (180), KAFKA_BIN (/opt/kafka/bin),
#   SHARE_GROUP (kafka-fleet-share-consumer: the share consumers' group, set to start at the topic's beginning).
# test/deploy/create-topics.test.ts runs this very script against the local cluster.
set -euo pipefail

bootstrap=${KAFKA_BOOTSTRAP_SERVERS:?KAFKA_BOOTSTRAP_SERVERS is required}
bin=${KAFKA_BIN:-/opt/kafka/bin}
partitions=${TOPIC_PARTITIONS:-6}
brokers=${EXPECTED_BROKERS:-3}
timeout_s=${INIT_TIMEOUT_S:-180}
topics=("${KAFKA_TOPIC:-topic_app}" "${RESULTS_TOPIC:-topic_app.results}" "${DLQ_TOPIC:-topic_app.dlq}")

# Room for the dlq.* headers a dead letter adds to its record (docs/design.md, Topics).
dlq_headroom_bytes=65536

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

# A topic's max.message.bytes in force (its own, else the broker's default). The whole answer is read first: a
# reader that stopped early could end the tool with SIGPIPE, which pipefail would count as a failure.
max_message_bytes() {
  local described
  described=$("$bin/kafka-configs.sh" --bootstrap-server "$bootstrap" --describe --all --entity-type topics \
    --entity-name "$1") || return 1
  [[ $described =~ (^|[[:space:]])max\.message\.bytes=([0-9]+) ]] && printf '%s' "${BASH_REMATCH[2]}"
}
input=${topics[0]} dlq=${topics[2]}
input_max=$(max_message_bytes "$input") || die "cannot read max.message.bytes of topic $input"
dlq_max=$(max_message_bytes "$dlq") || die "cannot read max.message.bytes of topic $dlq"
want=$((input_max + dlq_headroom_bytes))
if ((dlq_max < want)); then
  # Raising a topic's limit is safe in place; a larger one is left as it is.
  "$bin/kafka-configs.sh" --bootstrap-server "$bootstrap" --alter --entity-type topics --entity-name "$dlq" \
    --add-config "max.message.bytes=$want" >/dev/null
  say "topic $dlq: max.message.bytes was $dlq_max, set to $want ($input's $input_max plus $dlq_headroom_bytes)"
else
  say "topic $dlq: max.message.bytes $dlq_max, room for $input's $input_max plus $dlq_headroom_bytes"
fi

# A share group starts at the topic's end unless told otherwise (share.auto.offset.reset is a group config, not a
# client's): the share consumers' group reads what the topic holds, as the consumer groups do (earliest).
share_group=${SHARE_GROUP:-kafka-fleet-share-consumer}
"$bin/kafka-configs.sh" --bootstrap-server "$bootstrap" --alter --entity-type groups --entity-name "$share_group" \
  --add-config share.auto.offset.reset=earliest >/dev/null ||
  die "cannot set share.auto.offset.reset=earliest on share group $share_group"
say "share group $share_group: share.auto.offset.reset=earliest"
