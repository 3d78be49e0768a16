import { ConfigError, env, loadConfig } from "@kafka-fleet/service";
import { consumerEnvSchema, toConsumerConfig, type ConsumerConfig } from "@kafka-fleet/worker";

export const SERVICE = "batch-consumer";

/**
 * Batches under way and not yet committed, by default: enough that a batch's two round trips (its results'
 * acknowledgements, which are noticed up to 10 ms late, then its commit) overlap the next batches' processing
 * at BATCH_SIZE 10, few enough that a crash repeats little (8 × BATCH_SIZE records at most).
 */
export const DEFAULT_MAX_UNCOMMITTED = 8;

const schema = consumerEnvSchema.extend({
  BATCH_SIZE: env.integer({ min: 1, max: 100_000 }).default(10),
  BATCH_MAX_WAIT_MS: env.integer({ min: 1, max: 3_600_000 }).default(1000),
  BATCH_MAX_UNCOMMITTED: env.integer({ min: 1, max: 100 }).default(DEFAULT_MAX_UNCOMMITTED),
  PROCESSING_GUARANTEE: env.oneOf(["at_least_once", "exactly_once"]).default("at_least_once"),
});

export interface BatchConsumerConfig extends ConsumerConfig {
  readonly batch: { readonly maxSize: number; readonly maxWaitMs: number };
  /** Batches that may be processed and not yet committed at once; a crash may repeat this many. */
  readonly maxUncommittedBatches: number;
  /** Results and input offsets of each batch in one Kafka transaction. */
  readonly exactlyOnce: boolean;
}

export function loadBatchConsumerConfig(source: NodeJS.ProcessEnv): Readonly<BatchConsumerConfig> {
  return loadConfig(schema, source, (vars) => {
    if (vars.PROCESSING_GUARANTEE === "exactly_once" && vars.RESULTS_TOPIC === undefined) {
      throw new ConfigError([
        'PROCESSING_GUARANTEE="exactly_once" needs RESULTS_TOPIC: the transaction writes results and offsets together',
      ]);
    }
    return {
      ...toConsumerConfig(vars, `kafka-fleet-${SERVICE}`),
      batch: { maxSize: vars.BATCH_SIZE, maxWaitMs: vars.BATCH_MAX_WAIT_MS },
      maxUncommittedBatches: vars.BATCH_MAX_UNCOMMITTED,
      exactlyOnce: vars.PROCESSING_GUARANTEE === "exactly_once",
    };
  });
}
