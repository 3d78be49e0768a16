import { DEFAULT_MAX_UNCOMMITTED, loadBatchWorkerConfig, type BatchWorkerConfig } from "@kafka-fleet/worker";

export const SERVICE = "batch-consumer";
export { DEFAULT_MAX_UNCOMMITTED };
export type BatchConsumerConfig = BatchWorkerConfig;

export function loadBatchConsumerConfig(source: NodeJS.ProcessEnv): Readonly<BatchConsumerConfig> {
  return loadBatchWorkerConfig(source, SERVICE);
}
