import { kafkaEnv, kafkaEnvShape, toKafkaSettings, type KafkaSettings } from "@kafka-fleet/kafka";
import { longestRetryWaitMs } from "@kafka-fleet/processing";
import {
  ConfigError,
  env,
  isSecret,
  serviceEnvSchema,
  toServiceConfig,
  type ServiceConfig,
} from "@kafka-fleet/service";
import type { z } from "zod";

/** The longest wait between two tries of a failing handler. */
const MAX_RETRY_BACKOFF_MS = 10_000;
/** Kafka's longest topic name. */
const MAX_TOPIC_NAME = 249;
/** librdkafka's max.poll.interval.ms unless KAFKA_CLIENT_MAX_POLL_INTERVAL_MS says otherwise. */
const DEFAULT_MAX_POLL_INTERVAL_MS = 300_000;

/** Variables both consumers read, beside the common ones. */
export const consumerEnvSchema = serviceEnvSchema.extend(kafkaEnvShape).extend({
  CONSUMER_GROUP: env.string().optional(),
  RESULTS_TOPIC: kafkaEnv.topic().optional(),
  DLQ_TOPIC: kafkaEnv.topic().optional(),
  RETRY_MAX: env.integer({ min: 0, max: 100 }).default(5),
  GROUP_PROTOCOL: env.oneOf(["classic", "consumer"]).default("classic"),
  GROUP_INSTANCE_ID: kafkaEnv.groupInstanceId().optional(),
  // At most the longest wait between retries: a first wait above it would be cut to it without a word.
  RETRY_BACKOFF_MS: env.integer({ min: 1, max: MAX_RETRY_BACKOFF_MS }).default(100),
});

export interface ConsumerConfig extends ServiceConfig, KafkaSettings {
  readonly groupId: string;
  /** classic (cooperative-sticky, client-side) or consumer (KIP-848, broker-side assignment). */
  readonly groupProtocol: "classic" | "consumer";
  /**
   * Static membership (KIP-345): this replica's group.instance.id. A stop then does not leave the group: the
   * member's partitions wait for it (up to the session timeout) instead of moving twice on a restart.
   */
  readonly groupInstanceId: string | undefined;
  readonly resultsTopic: string | undefined;
  /** Where records that cannot be processed go (default `<KAFKA_TOPIC>.dlq`). */
  readonly dlqTopic: string;
  readonly retry: { readonly retries: number; readonly backoffMs: number; readonly maxBackoffMs: number };
}

export function toConsumerConfig(
  vars: z.output<typeof consumerEnvSchema>,
  defaultGroup: string,
): ConsumerConfig {
  const dlqTopic = vars.DLQ_TOPIC ?? `${vars.KAFKA_TOPIC}.dlq`;
  if (dlqTopic.length > MAX_TOPIC_NAME) {
    // Checked here, not by the schema: the name is derived from KAFKA_TOPIC, which is valid on its own.
    throw new ConfigError([
      `DLQ_TOPIC: the default ${vars.KAFKA_TOPIC.slice(0, 20)}….dlq is ${dlqTopic.length} characters, over Kafka's ${MAX_TOPIC_NAME}: set DLQ_TOPIC`,
    ]);
  }
  const kafka = toKafkaSettings(vars, isSecret);
  const retry = {
    retries: vars.RETRY_MAX,
    backoffMs: vars.RETRY_BACKOFF_MS,
    maxBackoffMs: MAX_RETRY_BACKOFF_MS,
  };
  checkRetriesFitPollInterval(retry, kafka.clientProperties);
  return {
    ...toServiceConfig(vars),
    ...kafka,
    groupId: vars.CONSUMER_GROUP ?? defaultGroup,
    groupProtocol: vars.GROUP_PROTOCOL,
    groupInstanceId: vars.GROUP_INSTANCE_ID,
    resultsTopic: vars.RESULTS_TOPIC,
    dlqTopic,
    retry,
  };
}

/**
 * A consumer does not poll while a call's retries wait (nor while its pipeline is full), and librdkafka takes a
 * member that has not polled for max.poll.interval.ms out of the group: its partitions go elsewhere and what it
 * had processed and not committed is processed again. Retry settings that can wait that long on their own are
 * refused. A handler slow enough to get there anyway costs a rejoin and those repeats, never a record.
 */
function checkRetriesFitPollInterval(
  retry: ConsumerConfig["retry"],
  clientProperties: Readonly<Record<string, string>>,
): void {
  const pollIntervalMs = Number(clientProperties["max.poll.interval.ms"] ?? DEFAULT_MAX_POLL_INTERVAL_MS);
  const waitMs = longestRetryWaitMs(retry);
  if (waitMs < pollIntervalMs) return;
  throw new ConfigError([
    `RETRY_MAX=${retry.retries} with RETRY_BACKOFF_MS=${retry.backoffMs}: a call's retries may wait ${seconds(waitMs)} in all, ` +
      `past max.poll.interval.ms (${seconds(pollIntervalMs)}), and the member would be put out of its group mid-retry: ` +
      "lower RETRY_MAX or RETRY_BACKOFF_MS, or raise KAFKA_CLIENT_MAX_POLL_INTERVAL_MS",
  ]);
}

const seconds = (ms: number) => `${(ms / 1000).toLocaleString("en-US", { maximumFractionDigits: 1 })} s`;
