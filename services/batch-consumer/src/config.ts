import { DEFAULT_MAX_UNCOMMITTED, loadBatchWorkerConfig, type BatchWorkerConfig } from "@kafka-fleet/worker";

export const SERVICE = "batch-consumer";
/** Its name with GROUP_TYPE=share: the service label of its metrics, and its default group kafka-fleet-share-consumer. */
export const SHARE_SERVICE = "share-consumer";
export { DEFAULT_MAX_UNCOMMITTED };
export type BatchConsumerConfig = BatchWorkerConfig;

export function loadBatchConsumerConfig(source: NodeJS.ProcessEnv): Readonly<BatchConsumerConfig> {
  return loadBatchWorkerConfig(source, SERVICE);
}
