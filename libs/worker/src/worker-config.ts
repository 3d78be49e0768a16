import { isClientPropertyVariable } from "@kafka-fleet/kafka";
import { DEFAULT_MAX_UNCOMMITTED } from "@kafka-fleet/kafka/tunables";
import { ORDERINGS, type Ordering } from "@kafka-fleet/processing";
import { ConfigError, env, loadConfig } from "@kafka-fleet/service";

import { consumerEnvSchema, toConsumerConfig, type ConsumerConfig } from "./consumer-config.ts";

const batchSchema = consumerEnvSchema.extend({
  BATCH_SIZE: env.integer({ min: 1, max: 100_000 }).default(10),
  BATCH_MAX_WAIT_MS: env.integer({ min: 1, max: 3_600_000 }).default(1000),
  BATCH_MAX_UNCOMMITTED: env.integer({ min: 1, max: 1000 }).default(DEFAULT_MAX_UNCOMMITTED),
  PROCESSING_GUARANTEE: env.oneOf(["at_least_once", "exactly_once"]).default("at_least_once"),
});

export interface BatchWorkerConfig extends ConsumerConfig {
  readonly batch: { readonly maxSize: number; readonly maxWaitMs: number };
  /** Batches that may be processed and not yet committed at once; a crash may repeat this many. */
  readonly maxUncommittedBatches: number;
  /** Results and input offsets of each batch in one Kafka transaction. */
  readonly exactlyOnce: boolean;
}

/** A batch worker's configuration; its consumer group defaults to `kafka-fleet-<name>`. */
export function loadBatchWorkerConfig(source: NodeJS.ProcessEnv, name: string): Readonly<BatchWorkerConfig> {
  return loadConfig(
    batchSchema,
    source,
    (vars) => {
      if (vars.PROCESSING_GUARANTEE === "exactly_once" && vars.RESULTS_TOPIC === undefined) {
        throw new ConfigError([
          'PROCESSING_GUARANTEE="exactly_once" needs RESULTS_TOPIC: the transaction writes results and offsets together',
        ]);
      }
      return {
        ...toConsumerConfig(vars, `kafka-fleet-${name}`),
        batch: { maxSize: vars.BATCH_SIZE, maxWaitMs: vars.BATCH_MAX_WAIT_MS },
        maxUncommittedBatches: vars.BATCH_MAX_UNCOMMITTED,
        exactlyOnce: vars.PROCESSING_GUARANTEE === "exactly_once",
      };
    },
    isClientPropertyVariable,
  );
}

const singleSchema = consumerEnvSchema.extend({
  // Records being processed at once (their results awaiting acknowledgement). 1 = strictly one after another.
  MAX_IN_FLIGHT: env.integer({ min: 1, max: 100_000 }).default(1000),
  // key: in offset order per key, keys concurrently; partition: one after another per partition; unordered: any.
  ORDERING: env.oneOf(ORDERINGS).default("key"),
  // Records fetched and waiting for their key's turn; when reached, fetching pauses (a hot key cannot grow memory).
  MAX_QUEUED: env.integer({ min: 1, max: 1_000_000 }).default(10_000),
});

export interface SingleWorkerConfig extends ConsumerConfig {
  readonly maxInFlight: number;
  readonly ordering: Ordering;
  readonly maxQueued: number;
}

/** A single (record by record) worker's configuration; its consumer group defaults to `kafka-fleet-<name>`. */
export function loadSingleWorkerConfig(
  source: NodeJS.ProcessEnv,
  name: string,
): Readonly<SingleWorkerConfig> {
  return loadConfig(
    singleSchema,
    source,
    (vars) => ({
      ...toConsumerConfig(vars, `kafka-fleet-${name}`),
      maxInFlight: vars.MAX_IN_FLIGHT,
      ordering: vars.ORDERING,
      maxQueued: vars.MAX_QUEUED,
    }),
    isClientPropertyVariable,
  );
}

const shareSchema = consumerEnvSchema.extend({
  // Records one poll acquires at most (librdkafka's max.poll.records, a soft bound in its preview): one handler call.
  BATCH_SIZE: env.integer({ min: 1, max: 100_000 }).default(10),
  // Deliveries of a record before it is rejected (and dead-lettered): at most the group's share.delivery.count.limit,
  // past which the broker archives the record without telling the worker.
  SHARE_MAX_DELIVERIES: env.integer({ min: 1, max: 10 }).default(5),
});

export interface ShareWorkerConfig extends ConsumerConfig {
  readonly maxRecords: number;
  readonly maxDeliveries: number;
}

/** A share-group worker's configuration; its share group defaults to `kafka-fleet-<name>`. */
export function loadShareWorkerConfig(source: NodeJS.ProcessEnv, name: string): Readonly<ShareWorkerConfig> {
  return loadConfig(
    shareSchema,
    source,
    (vars) => ({
      ...shareSubscription(toConsumerConfig(vars, `kafka-fleet-${name}`)),
      maxRecords: vars.BATCH_SIZE,
      maxDeliveries: vars.SHARE_MAX_DELIVERIES,
    }),
    isClientPropertyVariable,
  );
}

/** librdkafka's share consumer subscribes to topic names only: a pattern is refused at start, with what to do. */
function shareSubscription(config: ConsumerConfig): ConsumerConfig {
  if (config.pattern === undefined) return config;
  throw new ConfigError([
    `KAFKA_TOPIC_PATTERN=${JSON.stringify(config.pattern)}: a share worker subscribes to topic names only ` +
      "(librdkafka's share consumer takes no pattern); list its topics in KAFKA_TOPIC instead",
  ]);
}
