import { ORDERINGS, type Ordering } from "@kafka-fleet/processing";
import { env, loadConfig } from "@kafka-fleet/service";
import { consumerEnvSchema, toConsumerConfig, type ConsumerConfig } from "@kafka-fleet/worker";

export const SERVICE = "single-consumer";

const schema = consumerEnvSchema.extend({
  // Records being processed at once (their results awaiting acknowledgement). 1 = strictly one after another.
  MAX_IN_FLIGHT: env.integer({ min: 1, max: 100_000 }).default(1000),
  // key: in offset order per key, keys concurrently; partition: one after another per partition; unordered: any.
  ORDERING: env.oneOf(ORDERINGS).default("key"),
  // Records fetched and waiting for their key's turn; when reached, fetching pauses (a hot key cannot grow memory).
  MAX_QUEUED: env.integer({ min: 1, max: 1_000_000 }).default(10_000),
});

export interface SingleConsumerConfig extends ConsumerConfig {
  readonly maxInFlight: number;
  readonly ordering: Ordering;
  readonly maxQueued: number;
}

export function loadSingleConsumerConfig(source: NodeJS.ProcessEnv): Readonly<SingleConsumerConfig> {
  return loadConfig(schema, source, (vars) => ({
    ...toConsumerConfig(vars, `kafka-fleet-${SERVICE}`),
    maxInFlight: vars.MAX_IN_FLIGHT,
    ordering: vars.ORDERING,
    maxQueued: vars.MAX_QUEUED,
  }));
}
