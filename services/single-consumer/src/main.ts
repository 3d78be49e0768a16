import { createConsumerMetrics, runService } from "@kafka-fleet/service";
import { startKafkaClients } from "@kafka-fleet/worker";

import { SERVICE, loadSingleConsumerConfig, type SingleConsumerConfig } from "./config.ts";
import { SingleWorker } from "./single-worker.ts";

await runService<SingleConsumerConfig>({
  name: SERVICE,
  loadConfig: loadSingleConsumerConfig,
  async run(context) {
    const { config, logger, registry, health, signal } = context;
    const metrics = createConsumerMetrics(registry);
    const worker = new SingleWorker({
      maxInFlight: config.maxInFlight,
      retry: config.retry,
      logger,
      metrics,
      health,
    });
    const { consumer, handler } = await startKafkaClients(context, {
      service: SERVICE,
      metrics,
      autoCommitStoredOffsets: true,
      onRevoke: worker.onRevoke,
    });
    logger.info({
      event: "single_consumer.running",
      groupId: config.groupId,
      maxInFlight: config.maxInFlight,
    });
    await worker.run(consumer, handler, signal);
  },
});
