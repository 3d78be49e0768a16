import type { ServiceDefinition } from "@kafka-fleet/service";
import { defineWorker, publishValues } from "@kafka-fleet/worker";

import { SERVICE, type BatchConsumerConfig } from "./config.ts";

/** The batch-consumer: int64 values in batches, each value published to RESULTS_TOPIC when it is set. */
export function batchConsumerService(): ServiceDefinition<BatchConsumerConfig> {
  return defineWorker({ name: SERVICE, mode: "batch", handle: publishValues });
}
