import { loadSingleWorkerConfig, type SingleWorkerConfig } from "@kafka-fleet/worker";

export const SERVICE = "single-consumer";
export type SingleConsumerConfig = SingleWorkerConfig;

export function loadSingleConsumerConfig(source: NodeJS.ProcessEnv): Readonly<SingleConsumerConfig> {
  return loadSingleWorkerConfig(source, SERVICE);
}
