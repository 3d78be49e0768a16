import { randomUUID } from "node:crypto";
import { hostname } from "node:os";

import {
  ReportingProducer,
  FleetAdmin,
  FleetConsumer,
  requireTopic,
  clientIdentityOf,
  withTokenProvider,
  type ClientIdentity,
  type OAuthBearerTokenProvider,
  type TopicPartition,
} from "@kafka-fleet/kafka";
import {
  ConfigError,
  createTokenRefreshMetric,
  type Logger,
  type ServiceContext,
} from "@kafka-fleet/service";

import type { ConsumerConfig } from "./consumer-config.ts";
import { DeadLetters } from "./dead-letter.ts";
import type { ConsumerMetrics } from "./metrics.ts";
import {
  isPerTopic,
  outputsOf,
  refusedInput,
  subscriptionList,
  topicsMatching,
  type OutputRoutes,
} from "./topic-routes.ts";

export interface KafkaClients {
  readonly consumer: FleetConsumer;
  readonly deadLetters: DeadLetters;
  /** The producer that writes results and dead letters (transactional when asked for). */
  readonly output: ReportingProducer;
}

/**
 * Checks the topics, then connects the output producer (results and dead letters) and the consumer, and
 * registers their stops so that the consumer leaves first (finishing its work, which may still publish
 * results) and the producer flushes after it.
 */
export async function startKafkaClients(
  context: ServiceContext<ConsumerConfig>,
  options: {
    service: string;
    metrics: ConsumerMetrics;
    autoCommitStoredOffsets: boolean;
    /** Makes the output producer transactional (exactly-once batches). */
    transactional?: boolean;
    /**
     * How long the output producer waits to fill a request (librdkafka's linger.ms, DEFAULT_LINGER_MS when
     * omitted; the workers' values are in @kafka-fleet/kafka/tunables).
     */
    outputLingerMs?: number;
    onRevoke: (partitions: readonly TopicPartition[], lost: boolean) => Promise<void>;
    /** Where every client takes its OAUTHBEARER token from (defineWorker's `oauthBearerProvider`). */
    oauthBearerProvider?: OAuthBearerTokenProvider | undefined;
  },
): Promise<KafkaClients> {
  const { config, logger, health } = context;
  const identity = withTokenProvider(clientIdentityOf(config, options.service), options.oauthBearerProvider, {
    logger,
    ...(options.oauthBearerProvider === undefined
      ? {}
      : { refreshes: createTokenRefreshMetric(context.registry) }),
  });

  const routes: OutputRoutes = { dlq: config.dlqTopic, results: config.resultsTopic };
  const admin = new FleetAdmin(identity, config.connectTimeoutMs);
  try {
    await requireTopics(admin, config.topics, routes);
    if (config.pattern !== undefined) await requirePatternOutputs(admin, config.pattern, routes, logger);
  } finally {
    admin.close();
  }

  const { output, deadLetters } = await connectOutputs(context, identity, {
    metrics: options.metrics,
    transactional: options.transactional === true,
    ...(options.outputLingerMs === undefined ? {} : { outputLingerMs: options.outputLingerMs }),
  });

  const consumer = await FleetConsumer.connect({
    identity,
    logger,
    health,
    metrics: options.metrics,
    groupId: config.groupId,
    groupProtocol: config.groupProtocol,
    topics: subscriptionList(config),
    // Listed topics and their outputs were checked above; a pattern's are checked as they come.
    admit: async (topics) => {
      const fresh = topics.filter((topic) => !config.topics.includes(topic));
      if (fresh.length === 0) return;
      const refusal = fresh
        .map((topic) => refusedInput(routes, topic))
        .find((reason) => reason !== undefined);
      if (refusal !== undefined) throw new ConfigError([refusal]);
      const checking = new FleetAdmin(identity, config.connectTimeoutMs);
      try {
        await requireTopics(checking, fresh, routes, "matched by KAFKA_TOPIC_PATTERN");
      } finally {
        checking.close();
      }
    },
    connectTimeoutMs: config.connectTimeoutMs,
    autoCommitStoredOffsets: options.autoCommitStoredOffsets,
    onRevoke: options.onRevoke,
    ...(config.groupInstanceId === undefined
      ? {}
      : { config: { "group.instance.id": config.groupInstanceId } }),
  });
  context.onStop("consumer", () => consumer.close());
  return { consumer, deadLetters, output };
}

export interface Outputs {
  /** Writes the results and, through `deadLetters`, the dead letters. */
  readonly output: ReportingProducer;
  readonly deadLetters: DeadLetters;
}

/**
 * Connects the producer that writes results and dead letters, and registers its stop: it flushes after the
 * consumer has left (the consumer's stop is registered after this one, and stops run in reverse).
 */
export async function connectOutputs(
  context: ServiceContext<ConsumerConfig>,
  identity: ClientIdentity,
  options: {
    metrics: ConsumerMetrics;
    /** Makes the producer transactional (exactly-once batches). */
    transactional: boolean;
    /** librdkafka's linger.ms for it (DEFAULT_LINGER_MS when omitted). */
    outputLingerMs?: number;
  },
): Promise<Outputs> {
  const { config, logger } = context;
  const output = await ReportingProducer.connect({
    identity,
    logger,
    connectTimeoutMs: config.connectTimeoutMs,
    purpose: "output",
    // A report per message: each batch's results are acknowledged on their own reports (ReportingProducer).
    // Unique per live member: zombies are fenced by the group generation that travels with the offsets.
    ...(options.transactional
      ? {
          transactionalId: `kafka-fleet-${config.groupId}-${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`,
        }
      : {}),
    ...(options.outputLingerMs === undefined ? {} : { lingerMs: options.outputLingerMs }),
    // A dead letter carries the original value whole, however large the input topic allowed it to be.
    config: {
      "message.max.bytes": 16 * 1024 * 1024,
    },
  });
  context.onStop("output producer", () => output.close(config.shutdownGraceMs / 2));
  const deadLetters = new DeadLetters({
    producer: output,
    topic: config.dlqTopic,
    groupId: config.groupId,
    logger,
    metrics: options.metrics,
    transactional: options.transactional,
  });
  return { output, deadLetters };
}

/**
 * Every input topic must exist, and so must each one's dead-letter topic and results topic (a routed name per
 * topic, or the one named), before its first record is taken: a typo must not look like an idle consumer, nor a
 * missing dead-letter topic like a poison record.
 */
export async function requireTopics(
  admin: FleetAdmin,
  topics: readonly string[],
  routes: OutputRoutes,
  how = "KAFKA_TOPIC",
): Promise<void> {
  const checked = new Set<string>();
  for (const topic of topics) {
    await requireTopic(admin, topic, how);
    const [dlq, results] = outputsOf(routes, topic);
    for (const [name, label] of [
      [dlq, `DLQ_TOPIC of ${topic}`],
      [results, `RESULTS_TOPIC of ${topic}`],
    ] as const) {
      if (name === undefined || checked.has(name)) continue;
      await requireTopic(admin, name, label);
      checked.add(name);
    }
  }
}

/**
 * With a pattern, the topics it will match are not known yet: a named (not per-topic) dead-letter or results
 * topic must exist now, and a pattern that matches nothing yet is waited on, said once, not an error. The
 * topics it matches are checked one by one as they are assigned (FleetConsumer's admit).
 */
async function requirePatternOutputs(
  admin: FleetAdmin,
  pattern: string,
  routes: OutputRoutes,
  logger: Logger,
): Promise<void> {
  for (const [route, label] of [
    [routes.dlq, "DLQ_TOPIC"],
    [routes.results, "RESULTS_TOPIC"],
  ] as const) {
    if (route !== undefined && !isPerTopic(route)) await requireTopic(admin, route, label);
  }
  const matched = topicsMatching(pattern, await admin.listTopics());
  if (matched.length > 0) return;
  logger.warn(
    { event: "consumer.pattern_unmatched", pattern },
    `no topic matches ${pattern} yet: waiting for one (librdkafka looks again every topic.metadata.refresh.interval.ms, ` +
      "300000 ms unless KAFKA_CLIENT_TOPIC_METADATA_REFRESH_INTERVAL_MS says otherwise)",
  );
}
