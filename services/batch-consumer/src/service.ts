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
        // A batch's results are all queued at once and then awaited: lingering would only delay every batch
        // (at BATCH_SIZE 10 and 1k msg/s, 5 ms per batch made the consumer fall behind).
        outputLingerMs: 0,
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
