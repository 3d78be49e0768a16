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
import { z } from "zod";

import {
  DEFAULT_DLQ_ROUTE,
  MAX_TOPIC_NAME,
  outputsOf,
  parseTopicList,
  parseTopicPattern,
  parseTopicRoute,
  tooLongRoute,
  type Parsed,
  type Subscription,
} from "./topic-routes.ts";

/** KAFKA_TOPIC unless set, as for the producer. */
const DEFAULT_TOPIC = "topic_app";
/** The longest wait between two tries of a failing handler. */
const MAX_RETRY_BACKOFF_MS = 10_000;
/** librdkafka's max.poll.interval.ms unless KAFKA_CLIENT_MAX_POLL_INTERVAL_MS says otherwise. */
const DEFAULT_MAX_POLL_INTERVAL_MS = 300_000;

/** A variable read by one of topic-routes.ts's rules, its problem phrased after the variable's name and value. */
const parsedBy = <T>(parse: (value: string) => Parsed<T>) =>
  z
    .string()
    .trim()
    .transform((value, context) => {
      const parsed = parse(value);
      if (parsed.ok) return parsed.value;
      context.addIssue({ code: "custom", message: parsed.problem });
      return z.NEVER;
    });

/** Variables both consumers read, beside the common ones. */
export const consumerEnvSchema = serviceEnvSchema.extend(kafkaEnvShape).extend({
  // A worker reads several topics (KAFKA_TOPIC, comma-separated) or a pattern's, where the producer writes one.
  // Optional here: "both set" is a mistake only when KAFKA_TOPIC was given, not for its default (topic_app).
  KAFKA_TOPIC: parsedBy(parseTopicList).optional(),
  KAFKA_TOPIC_PATTERN: parsedBy(parseTopicPattern).optional(),
  CONSUMER_GROUP: env.string().optional(),
  RESULTS_TOPIC: parsedBy(parseTopicRoute).optional(),
  DLQ_TOPIC: parsedBy(parseTopicRoute).optional(),
  RETRY_MAX: env.integer({ min: 0, max: 100 }).default(5),
  GROUP_PROTOCOL: env.oneOf(["classic", "consumer"]).default("classic"),
  GROUP_INSTANCE_ID: kafkaEnv.groupInstanceId().optional(),
  // At most the longest wait between retries: a first wait above it would be cut to it without a word.
  RETRY_BACKOFF_MS: env.integer({ min: 1, max: MAX_RETRY_BACKOFF_MS }).default(100),
});

export interface ConsumerConfig extends ServiceConfig, Omit<KafkaSettings, "topic">, Subscription {
  readonly groupId: string;
  /** classic (cooperative-sticky, client-side) or consumer (KIP-848, broker-side assignment). */
  readonly groupProtocol: "classic" | "consumer";
  /**
   * Static membership (KIP-345): this replica's group.instance.id. A stop then does not leave the group: the
   * member's partitions wait for it (up to the session timeout) instead of moving twice on a restart.
   */
  readonly groupInstanceId: string | undefined;
  /**
   * RESULTS_TOPIC as given: a topic, or a rule with `{topic}` (one results topic per input topic). A handler
   * writes a record's results to `context.resultsTopicFor(record.topic)`, which applies either.
   */
  readonly resultsTopic: string | undefined;
  /** Where records that cannot be processed go: a topic, or a rule with `{topic}` (default `{topic}.dlq`). */
  readonly dlqTopic: string;
  readonly retry: { readonly retries: number; readonly backoffMs: number; readonly maxBackoffMs: number };
}

export function toConsumerConfig(
  vars: z.output<typeof consumerEnvSchema>,
  defaultGroup: string,
): ConsumerConfig {
  const subscription = subscriptionOf(vars);
  const dlqTopic = vars.DLQ_TOPIC ?? DEFAULT_DLQ_ROUTE;
  const routes = { dlq: dlqTopic, results: vars.RESULTS_TOPIC };
  checkRoutes(subscription, routes, vars.DLQ_TOPIC === undefined);
  // The producer's single KAFKA_TOPIC is not this worker's: its topics are the subscription's.
  const { bootstrapServers, connectTimeoutMs, clientProperties } = toKafkaSettings(
    { ...vars, KAFKA_TOPIC: "" },
    isSecret,
  );
  const kafka = { bootstrapServers, connectTimeoutMs, clientProperties };
  const retry = {
    retries: vars.RETRY_MAX,
    backoffMs: vars.RETRY_BACKOFF_MS,
    maxBackoffMs: MAX_RETRY_BACKOFF_MS,
  };
  checkRetriesFitPollInterval(retry, kafka.clientProperties);
  return {
    ...toServiceConfig(vars),
    ...kafka,
    ...subscription,
    groupId: vars.CONSUMER_GROUP ?? defaultGroup,
    groupProtocol: vars.GROUP_PROTOCOL,
    groupInstanceId: vars.GROUP_INSTANCE_ID,
    resultsTopic: vars.RESULTS_TOPIC,
    dlqTopic,
    retry,
  };
}

/** The listed topics, or the pattern; topic_app when neither is set, and a one-line refusal when both are. */
function subscriptionOf(vars: z.output<typeof consumerEnvSchema>): Subscription {
  if (vars.KAFKA_TOPIC !== undefined && vars.KAFKA_TOPIC_PATTERN !== undefined) {
    throw new ConfigError([
      `KAFKA_TOPIC=${JSON.stringify(vars.KAFKA_TOPIC.join(","))} and KAFKA_TOPIC_PATTERN=${JSON.stringify(vars.KAFKA_TOPIC_PATTERN)} are both set: ` +
        "a worker reads listed topics or a pattern's, not both; unset one",
    ]);
  }
  if (vars.KAFKA_TOPIC_PATTERN !== undefined) return { topics: [], pattern: vars.KAFKA_TOPIC_PATTERN };
  return { topics: vars.KAFKA_TOPIC ?? [DEFAULT_TOPIC], pattern: undefined };
}

/**
 * The names the routes give each listed topic must be Kafka's (at most 249 characters), and no listed topic may
 * be where the worker writes: it would read its own dead letters or results back. A pattern's topics are checked
 * as they are assigned (start.ts).
 */
function checkRoutes(
  subscription: Subscription,
  routes: { dlq: string; results: string | undefined },
  dlqDefault: boolean,
): void {
  const tooLong = tooLongRoute(routes.dlq, subscription.topics);
  if (tooLong !== undefined) {
    // Checked here, not by the schema: the name is derived from KAFKA_TOPIC, which is valid on its own.
    throw new ConfigError([
      dlqDefault
        ? `DLQ_TOPIC: the default ${tooLong.slice(0, 20)}….dlq is ${tooLong.length} characters, over Kafka's ${MAX_TOPIC_NAME}: set DLQ_TOPIC`
        : `DLQ_TOPIC=${JSON.stringify(routes.dlq)} gives ${tooLong.slice(0, 20)}…, ${tooLong.length} characters, over Kafka's ${MAX_TOPIC_NAME}`,
    ]);
  }
  const resultsTooLong =
    routes.results === undefined ? undefined : tooLongRoute(routes.results, subscription.topics);
  if (resultsTooLong !== undefined) {
    throw new ConfigError([
      `RESULTS_TOPIC=${JSON.stringify(routes.results)} gives ${resultsTooLong.slice(0, 20)}…, ${resultsTooLong.length} characters, over Kafka's ${MAX_TOPIC_NAME}`,
    ]);
  }
  for (const source of subscription.topics) {
    const [dlq, results] = outputsOf(routes, source);
    const readBack = subscription.topics.find((topic) => topic === dlq || topic === results);
    if (readBack === undefined) continue;
    const variable = readBack === dlq ? "DLQ_TOPIC" : "RESULTS_TOPIC";
    throw new ConfigError([
      `KAFKA_TOPIC lists ${readBack}, where ${variable} sends ${source}'s records: the worker would read its own output back; ` +
        `leave it out or set ${variable}`,
    ]);
  }
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
