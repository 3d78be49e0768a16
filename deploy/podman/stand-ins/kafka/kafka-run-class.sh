#!/usr/bin/env bash
# Runs a Kafka main class on the jars in /opt/kafka/libs, with the JVM variables the distribution's script
# honours (KAFKA_HEAP_OPTS, KAFKA_JVM_PERFORMANCE_OPTS, KAFKA_LOG4J_OPTS, KAFKA_OPTS). Tools log warnings only.
set -euo pipefail
heap=${KAFKA_HEAP_OPTS:--Xmx256M}
perf=${KAFKA_JVM_PERFORMANCE_OPTS:--server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true}
log4j=${KAFKA_LOG4J_OPTS:--Dlog4j2.configurationFile=/opt/kafka/config/tools-log4j2.yaml}
# shellcheck disable=SC2086 # the *_OPTS variables hold several JVM flags each
exec java $heap $perf $log4j ${KAFKA_OPTS:-} -cp '/opt/kafka/libs/*' "$@"
