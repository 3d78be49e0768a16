import { ConfigError, type ServiceConfig, type ServiceDefinition } from "@kafka-fleet/service";
import { defineWorker, publishValues } from "@kafka-fleet/worker";

import { SERVICE, SHARE_SERVICE, type BatchConsumerConfig } from "./config.ts";

/** GROUP_TYPE: `consumer` (default) a consumer group, `share` a share group (KIP-932). */
export const GROUP_TYPES = ["consumer", "share"] as const;
type GroupType = (typeof GROUP_TYPES)[number];

/** GROUP_TYPE's value; a ConfigError (exit 2, one line) for anything else. */
export function groupTypeOf(env: NodeJS.ProcessEnv): GroupType {
  const value = env.GROUP_TYPE === undefined || env.GROUP_TYPE === "" ? "consumer" : env.GROUP_TYPE;
  if (!(GROUP_TYPES as readonly string[]).includes(value)) {
    throw new ConfigError([`GROUP_TYPE="${value}": expected one of ${GROUP_TYPES.join(", ")}`]);
  }
  return value as GroupType;
}

/**
 * The batch-consumer: int64 values in batches, each value published to RESULTS_TOPIC when it is set. With
 * GROUP_TYPE=share the same handler runs in a share group (`defineWorker({ mode: "share" })`) as the
 * share-consumer: its own name in logs and metrics, and its own default group (a group id is of one type).
 * The kind of group is chosen from `env` when the service is defined; its configuration checks GROUP_TYPE again.
 */
export function batchConsumerService(
  env: NodeJS.ProcessEnv = process.env,
): ServiceDefinition<BatchConsumerConfig> | ServiceDefinition<ServiceConfig> {
  let groupType: GroupType;
  try {
    groupType = groupTypeOf(env);
  } catch (error) {
    // Refused where every bad variable is: when the configuration is read.
    return {
      name: SERVICE,
      loadConfig: () => {
        throw error;
      },
      run: () => Promise.resolve(),
    };
  }
  const definition: ServiceDefinition<ServiceConfig> =
    groupType === "share"
      ? defineWorker({ name: SHARE_SERVICE, mode: "share", handle: publishValues })
      : defineWorker({ name: SERVICE, mode: "batch", handle: publishValues });
  return {
    ...definition,
    loadConfig(source) {
      const asked = groupTypeOf(source);
      if (asked !== groupType) {
        throw new ConfigError([`GROUP_TYPE="${asked}": this ${definition.name} was started as ${groupType}`]);
      }
      return definition.loadConfig(source);
    },
  };
}
