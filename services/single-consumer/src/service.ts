import { createConsumerMetrics, createOrderingMetrics, type ServiceDefinition } from "@kafka-fleet/service";
import { startKafkaClients, type ConsumerServiceOptions } from "@kafka-fleet/worker";

import { SERVICE, loadSingleConsumerConfig, type SingleConsumerConfig } from "./config.ts";
import { SingleWorker } from "./single-worker.ts";

/** The single-consumer as a service definition; `main.ts` runs it, tests and forks can wrap its handler. */
export function singleConsumerService(
  options: ConsumerServiceOptions = {},
): ServiceDefinition<SingleConsumerConfig> {
  return {
    name: SERVICE,
    loadConfig: loadSingleConsumerConfig,
    async run(context) {
      const { config, logger, registry, health, signal } = context;
      const metrics = createConsumerMetrics(registry);
      const worker = new SingleWorker({
        maxInFlight: config.maxInFlight,
        maxQueued: config.maxQueued,
        ordering: config.ordering,
        retry: config.retry,
        logger,
        metrics,
        health,
      });
      createOrderingMetrics(registry, () => worker.held);
      const {
        consumer,
        handler: defaultHandler,
        deadLetters,
      } = await startKafkaClients(context, {
        service: SERVICE,
        metrics,
        autoCommitStoredOffsets: true,
        // Ordered records wait for their predecessor's result to be acknowledged: lingering would delay each one
        // in turn. Without order, many results are queued at once and fill requests anyway.
        outputLingerMs: config.ordering === "unordered" ? undefined : 0,
        onRevoke: worker.onRevoke,
      });
      logger.info({
        event: "single_consumer.running",
        groupId: config.groupId,
        maxInFlight: config.maxInFlight,
        ordering: config.ordering,
        maxQueued: config.maxQueued,
      });
      const handler = options.wrapHandler?.(defaultHandler, context) ?? defaultHandler;
      await worker.run(consumer, { handler, deadLetters }, signal);
    },
  };
}
