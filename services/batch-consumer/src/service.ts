import { createBatchMetrics, createConsumerMetrics, type ServiceDefinition } from "@kafka-fleet/service";
import { startKafkaClients, type ConsumerServiceOptions } from "@kafka-fleet/worker";

import { BatchWorker } from "./batch-worker.ts";
import { SERVICE, loadBatchConsumerConfig, type BatchConsumerConfig } from "./config.ts";

/** The batch-consumer as a service definition; `main.ts` runs it, tests and forks can wrap its handler. */
export function batchConsumerService(
  options: ConsumerServiceOptions = {},
): ServiceDefinition<BatchConsumerConfig> {
  return {
    name: SERVICE,
    loadConfig: loadBatchConsumerConfig,
    async run(context) {
      const { config, logger, registry, health, signal } = context;
      const metrics = { ...createConsumerMetrics(registry), ...createBatchMetrics(registry) };
      const worker = new BatchWorker({
        rules: config.batch,
        // Exactly-once commits each batch in its own transaction before the next one starts.
        maxUncommitted: config.exactlyOnce ? 1 : config.maxUncommittedBatches,
        retry: config.retry,
        logger,
        metrics,
        health,
      });
      const {
        consumer,
        handler: defaultHandler,
        deadLetters,
        output,
      } = await startKafkaClients(context, {
        service: SERVICE,
        metrics,
        autoCommitStoredOffsets: false,
        transactional: config.exactlyOnce,
        // librdkafka's default linger (5 ms) for the results: with several batches under way, their results share
        // requests; without it, each batch's few results made requests of their own that queued behind each
        // other (measured at BATCH_SIZE 10: 70 ms per batch at linger 0, 19 ms at 5).
        onRevoke: worker.onRevoke,
      });
      logger.info({
        event: "batch_consumer.running",
        groupId: config.groupId,
        guarantee: config.exactlyOnce ? "exactly_once" : "at_least_once",
        ...config.batch,
        maxUncommittedBatches: config.exactlyOnce ? 1 : config.maxUncommittedBatches,
      });
      const handler = options.wrapHandler?.(defaultHandler, context) ?? defaultHandler;
      await worker.run(
        consumer,
        { handler, deadLetters, transactions: config.exactlyOnce ? output : undefined },
        signal,
      );
    },
  };
}
