import type { ServiceDefinition } from "@kafka-fleet/service";
import { defineWorker, publishValues } from "@kafka-fleet/worker";

import { SERVICE, type SingleConsumerConfig } from "./config.ts";

/** The single-consumer: int64 values one by one, each published to RESULTS_TOPIC when it is set. */
export function singleConsumerService(): ServiceDefinition<SingleConsumerConfig> {
  return defineWorker({ name: SERVICE, mode: "single", handle: publishValues });
}
