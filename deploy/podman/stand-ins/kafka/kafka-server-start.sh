#!/usr/bin/env bash
# Starts a broker/controller from a server.properties file, logging to stdout (log4j2.yaml).
set -euo pipefail
(($# >= 1)) || { echo "usage: kafka-server-start.sh server.properties" >&2; exit 2; }
export KAFKA_HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xmx1G -Xms1G}
export KAFKA_LOG4J_OPTS=${KAFKA_LOG4J_OPTS:--Dlog4j2.configurationFile=/opt/kafka/config/log4j2.yaml}
exec /opt/kafka/bin/kafka-run-class.sh kafka.Kafka "$@"
