import { createBatchMetrics, createConsumerMetrics, runService } from "@kafka-fleet/service";
import { startKafkaClients } from "@kafka-fleet/worker";

import { BatchWorker } from "./batch-worker.ts";
import { SERVICE, loadBatchConsumerConfig, type BatchConsumerConfig } from "./config.ts";

await runService<BatchConsumerConfig>({
  name: SERVICE,
  loadConfig: loadBatchConsumerConfig,
  async run(context) {
    const { config, logger, registry, health, signal } = context;
    const metrics = { ...createConsumerMetrics(registry), ...createBatchMetrics(registry) };
    const worker = new BatchWorker({ rules: config.batch, retry: config.retry, logger, metrics, health });
    const { consumer, handler } = await startKafkaClients(context, {
      service: SERVICE,
      metrics,
      autoCommitStoredOffsets: false,
      onRevoke: worker.onRevoke,
    });
    logger.info({ event: "batch_consumer.running", groupId: config.groupId, ...config.batch });
    await worker.run(consumer, handler, signal);
  },
});
