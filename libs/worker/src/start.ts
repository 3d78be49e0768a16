import {
  DeliveryProducer,
  FleetAdmin,
  FleetConsumer,
  requireTopic,
  type ClientIdentity,
  type TopicPartition,
} from "@kafka-fleet/kafka";
import type { ConsumerMetrics, ServiceContext } from "@kafka-fleet/service";

import type { ConsumerConfig } from "./config.ts";
import { createDefaultHandler, type RecordHandler } from "./handler.ts";

export interface KafkaClients {
  readonly consumer: FleetConsumer;
  readonly handler: RecordHandler;
}

/**
 * Checks the topics, then connects the results producer (when RESULTS_TOPIC is set) and the consumer, and
 * registers their stops so that the consumer leaves first (finishing its work, which may still publish
 * results) and the producer flushes after it.
 */
export async function startKafkaClients(
  context: ServiceContext<ConsumerConfig>,
  options: {
    service: string;
    metrics: ConsumerMetrics;
    autoCommitStoredOffsets: boolean;
    onRevoke: (partitions: readonly TopicPartition[], lost: boolean) => Promise<void>;
  },
): Promise<KafkaClients> {
  const { config, logger, health } = context;
  const identity: ClientIdentity = { bootstrapServers: config.bootstrapServers, service: options.service };

  const admin = new FleetAdmin(identity, config.connectTimeoutMs);
  try {
    await requireTopic(admin, config.topic, "KAFKA_TOPIC");
    if (config.resultsTopic !== undefined) await requireTopic(admin, config.resultsTopic, "RESULTS_TOPIC");
  } finally {
    admin.close();
  }

  let results: { producer: DeliveryProducer; topic: string } | undefined;
  if (config.resultsTopic !== undefined) {
    const producer = await DeliveryProducer.connect({
      identity,
      logger,
      connectTimeoutMs: config.connectTimeoutMs,
      purpose: "results",
    });
    context.onStop("results producer", () => producer.close(config.shutdownGraceMs / 2));
    results = { producer, topic: config.resultsTopic };
  }

  const consumer = await FleetConsumer.connect({
    identity,
    logger,
    health,
    metrics: options.metrics,
    groupId: config.groupId,
    topic: config.topic,
    connectTimeoutMs: config.connectTimeoutMs,
    autoCommitStoredOffsets: options.autoCommitStoredOffsets,
    onRevoke: options.onRevoke,
  });
  context.onStop("consumer", () => consumer.close());
  return { consumer, handler: createDefaultHandler(results) };
}
