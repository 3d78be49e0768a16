import { clientPropertyProblems } from "@kafka-fleet/kafka";
import { commonEnvSchema, env, toCommonConfig, type CommonConfig } from "@kafka-fleet/service";
import type { z } from "zod";

/** Variables both consumers read, beside the common ones. */
export const consumerEnvSchema = commonEnvSchema.extend({
  CONSUMER_GROUP: env.string().optional(),
  RESULTS_TOPIC: env.topic().optional(),
  DLQ_TOPIC: env.topic().optional(),
  RETRY_MAX: env.integer({ min: 0, max: 100 }).default(5),
  GROUP_PROTOCOL: env.oneOf(["classic", "consumer"]).default("classic"),
  GROUP_INSTANCE_ID: env.groupInstanceId().optional(),
  RETRY_BACKOFF_MS: env.integer({ min: 1, max: 60_000 }).default(100),
});

export interface ConsumerConfig extends CommonConfig {
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
  return {
    ...toCommonConfig(vars, clientPropertyProblems),
    groupId: vars.CONSUMER_GROUP ?? defaultGroup,
    groupProtocol: vars.GROUP_PROTOCOL,
    groupInstanceId: vars.GROUP_INSTANCE_ID,
    resultsTopic: vars.RESULTS_TOPIC,
    dlqTopic: vars.DLQ_TOPIC ?? `${vars.KAFKA_TOPIC}.dlq`,
    retry: { retries: vars.RETRY_MAX, backoffMs: vars.RETRY_BACKOFF_MS, maxBackoffMs: 10_000 },
  };
}
