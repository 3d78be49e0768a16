import { env, loadConfig } from "@kafka-fleet/service";
import { consumerEnvSchema, toConsumerConfig, type ConsumerConfig } from "@kafka-fleet/worker";

export const SERVICE = "single-consumer";

const schema = consumerEnvSchema.extend({
  // Records being processed at once (their results awaiting acknowledgement). 1 = strictly one after another.
  MAX_IN_FLIGHT: env.integer({ min: 1, max: 100_000 }).default(1000),
});

export interface SingleConsumerConfig extends ConsumerConfig {
  readonly maxInFlight: number;
}

export function loadSingleConsumerConfig(source: NodeJS.ProcessEnv): Readonly<SingleConsumerConfig> {
  return loadConfig(schema, source, (vars) => ({
    ...toConsumerConfig(vars, `kafka-fleet-${SERVICE}`),
    maxInFlight: vars.MAX_IN_FLIGHT,
  }));
}
