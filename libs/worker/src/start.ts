import { randomUUID } from "node:crypto";
import { hostname } from "node:os";

import {
  ReportingProducer,
  FleetAdmin,
  FleetConsumer,
  requireTopic,
  clientIdentityOf,
  withTokenProvider,
  type OAuthBearerTokenProvider,
  type TopicPartition,
} from "@kafka-fleet/kafka";
import type { ServiceContext } from "@kafka-fleet/service";

import type { ConsumerConfig } from "./consumer-config.ts";
import { DeadLetters } from "./dead-letter.ts";
import { createTokenRefreshMetric, type ConsumerMetrics } from "./metrics.ts";

export interface KafkaClients {
  readonly consumer: FleetConsumer;
  readonly deadLetters: DeadLetters;
  /** The producer that writes results and dead letters (transactional when asked for). */
  readonly output: ReportingProducer;
}

/**
 * Checks the topics, then connects the output producer (results and dead letters) and the consumer, and
 * registers their stops so that the consumer leaves first (finishing its work, which may still publish
 * results) and the producer flushes after it.
 */
export async function startKafkaClients(
  context: ServiceContext<ConsumerConfig>,
  options: {
    service: string;
    metrics: ConsumerMetrics;
    autoCommitStoredOffsets: boolean;
    /** Makes the output producer transactional (exactly-once batches). */
    transactional?: boolean;
    /**
     * How long the output producer waits to fill a request (librdkafka's linger.ms, DEFAULT_LINGER_MS when
     * omitted; the workers' values are in @kafka-fleet/kafka/tunables).
     */
    outputLingerMs?: number;
    onRevoke: (partitions: readonly TopicPartition[], lost: boolean) => Promise<void>;
    /** Where every client takes its OAUTHBEARER token from (defineWorker's `oauthBearerProvider`). */
    oauthBearerProvider?: OAuthBearerTokenProvider | undefined;
  },
): Promise<KafkaClients> {
  const { config, logger, health } = context;
  const identity = withTokenProvider(clientIdentityOf(config, options.service), options.oauthBearerProvider, {
    logger,
    ...(options.oauthBearerProvider === undefined
      ? {}
      : { refreshes: createTokenRefreshMetric(context.registry) }),
  });

  const admin = new FleetAdmin(identity, config.connectTimeoutMs);
  try {
    await requireTopic(admin, config.topic, "KAFKA_TOPIC");
    await requireTopic(admin, config.dlqTopic, "DLQ_TOPIC");
    if (config.resultsTopic !== undefined) await requireTopic(admin, config.resultsTopic, "RESULTS_TOPIC");
  } finally {
    admin.close();
  }

  const output = await ReportingProducer.connect({
    identity,
    logger,
    connectTimeoutMs: config.connectTimeoutMs,
    purpose: "output",
    // A report per message: each batch's results are acknowledged on their own reports (ReportingProducer).
    // Unique per live member: zombies are fenced by the group generation that travels with the offsets.
    ...(options.transactional === true
      ? {
          transactionalId: `kafka-fleet-${config.groupId}-${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`,
        }
      : {}),
    ...(options.outputLingerMs === undefined ? {} : { lingerMs: options.outputLingerMs }),
    // A dead letter carries the original value whole, however large the input topic allowed it to be.
    config: {
      "message.max.bytes": 16 * 1024 * 1024,
    },
  });
  context.onStop("output producer", () => output.close(config.shutdownGraceMs / 2));
  const deadLetters = new DeadLetters({
    producer: output,
    topic: config.dlqTopic,
    groupId: config.groupId,
    logger,
    metrics: options.metrics,
    transactional: options.transactional === true,
  });

  const consumer = await FleetConsumer.connect({
    identity,
    logger,
    health,
    metrics: options.metrics,
    groupId: config.groupId,
    groupProtocol: config.groupProtocol,
    topic: config.topic,
    connectTimeoutMs: config.connectTimeoutMs,
    autoCommitStoredOffsets: options.autoCommitStoredOffsets,
    onRevoke: options.onRevoke,
    ...(config.groupInstanceId === undefined
      ? {}
      : { config: { "group.instance.id": config.groupInstanceId } }),
  });
  context.onStop("consumer", () => consumer.close());
  return { consumer, deadLetters, output };
}
