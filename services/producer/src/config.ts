import {
  isClientPropertyVariable,
  kafkaEnvShape,
  toKafkaSettings,
  type KafkaSettings,
} from "@kafka-fleet/kafka";
import {
  ConfigError,
  env,
  isSecret,
  loadConfig,
  serviceEnvSchema,
  toServiceConfig,
  type ServiceConfig,
} from "@kafka-fleet/service";

export const SERVICE = "producer";

const schema = serviceEnvSchema.extend(kafkaEnvShape).extend({
  PRODUCE_FROM: env.bigint().default(0n),
  PRODUCE_TO: env.bigint().optional(),
  PRODUCE_RATE: env.integer({ min: 0, max: 10_000_000 }).default(0),
  PROGRESS_INTERVAL_MS: env.integer({ min: 100, max: 3_600_000 }).default(5000),
});

export interface ProducerConfig extends ServiceConfig, KafkaSettings {
  /** First value produced. */
  readonly from: bigint;
  /** One past the last value; undefined = produce forever. */
  readonly to: bigint | undefined;
  /** Messages per second; 0 = as fast as the cluster takes them. */
  readonly rate: number;
  readonly progressIntervalMs: number;
}

export function loadProducerConfig(source: NodeJS.ProcessEnv): Readonly<ProducerConfig> {
  return loadConfig(
    schema,
    source,
    (vars) => {
      if (vars.PRODUCE_TO !== undefined && vars.PRODUCE_TO <= vars.PRODUCE_FROM) {
        throw new ConfigError([
          `PRODUCE_TO=${vars.PRODUCE_TO} must be greater than PRODUCE_FROM=${vars.PRODUCE_FROM} (the range is [FROM, TO))`,
        ]);
      }
      return {
        ...toServiceConfig(vars),
        ...toKafkaSettings(vars, isSecret),
        from: vars.PRODUCE_FROM,
        to: vars.PRODUCE_TO,
        rate: vars.PRODUCE_RATE,
        progressIntervalMs: vars.PROGRESS_INTERVAL_MS,
      };
    },
    isClientPropertyVariable,
  );
}
