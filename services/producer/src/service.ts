import {
  DeliveryProducer,
  FleetAdmin,
  kafkaFailureHints,
  requireTopic,
  clientIdentityOf,
  oauthBearerPropertyProblems,
  withTokenProvider,
  type OAuthBearerTokenProvider,
} from "@kafka-fleet/kafka";
import { PACED_LINGER_MS, PRODUCER_RUN_LENGTH } from "@kafka-fleet/kafka/tunables";
import {
  ConfigError,
  ExitCode,
  createTokenRefreshMetric,
  type ServiceDefinition,
} from "@kafka-fleet/service";

import { SERVICE, loadProducerConfig, type ProducerConfig } from "./config.ts";
import { PartitionRuns, runLengthFor } from "./partition-runs.ts";
import { createProgressDisplay } from "./progress-display.ts";
import { produceRange } from "./range-producer.ts";
import { createProducerMetrics } from "./metrics.ts";

export interface ProducerServiceOptions {
  /**
   * SASL/OAUTHBEARER with the token from this function for the producer's clients (see defineWorker's). Needs
   * KAFKA_CLIENT_SECURITY_PROTOCOL SASL_SSL or SASL_PLAINTEXT (exit 2 without it).
   */
  readonly oauthBearerProvider?: OAuthBearerTokenProvider;
}

/** The producer as a service definition; `main.ts` runs it, tests and forks can wrap its handler. */
export function producerService(options: ProducerServiceOptions = {}): ServiceDefinition<ProducerConfig> {
  const { oauthBearerProvider } = options;
  return {
    name: SERVICE,
    loadConfig: (env) => {
      const config = loadProducerConfig(env);
      const problems =
        oauthBearerProvider === undefined ? [] : oauthBearerPropertyProblems(config.clientProperties);
      if (problems.length > 0) throw new ConfigError(problems);
      return config;
    },
    failureHints: kafkaFailureHints,
    async run({ config, logger, registry, health, signal, onStop }) {
      const metrics = createProducerMetrics(registry);
      const identity = withTokenProvider(clientIdentityOf(config, SERVICE), oauthBearerProvider, {
        logger,
        ...(oauthBearerProvider === undefined ? {} : { refreshes: createTokenRefreshMetric(registry) }),
      });

      const admin = new FleetAdmin(identity, config.connectTimeoutMs);
      let partitions: number;
      try {
        ({ partitions } = await requireTopic(admin, config.topic, "KAFKA_TOPIC"));
      } finally {
        admin.close();
      }
      // The producer places the values itself (partitions added later stay unused until the next run): that is
      // what lets its progress say where a killed run resumes. Runs as long as a sticky partitioner's, so that
      // requests stay as full; paced, a linger's worth.
      const placement = new PartitionRuns(
        partitions,
        runLengthFor(config.rate, { fullRun: PRODUCER_RUN_LENGTH, stickyMs: PACED_LINGER_MS }),
      );
      const producer = await DeliveryProducer.connect({
        identity,
        logger,
        connectTimeoutMs: config.connectTimeoutMs,
        // Progress and messages_produced_total between drains come from librdkafka's statistics.
        statisticsIntervalMs: 1000,
        // With tracing on, produceRange carries one span per run of records (see there).
        spanPerMessage: false,
        // Unpaced, requests fill up anyway and librdkafka's linger stays. Paced, fewer and fuller requests keep
        // the brokers' answers prompt (PACED_LINGER_MS, see its benchmark). KAFKA_CLIENT_LINGER_MS wins.
        ...(config.rate > 0 ? { lingerMs: PACED_LINGER_MS } : {}),
      });
      onStop("producer", () => producer.close(config.shutdownGraceMs / 4));
      health.setReady(true, "connected");

      const total = config.to === undefined ? undefined : Number(config.to - config.from);
      logger.info({
        event: "producer.started",
        topic: config.topic,
        from: config.from,
        to: config.to ?? null,
        rate: config.rate,
        partitions,
        runLength: placement.runLength,
      });
      const progress = createProgressDisplay({ logger, intervalMs: config.progressIntervalMs, total });
      const result = await produceRange({
        producer,
        topic: config.topic,
        from: config.from,
        to: config.to,
        rate: config.rate,
        placement,
        signal,
        logger,
        metrics,
        // A finished range waits as long as librdkafka may still retry; a stop keeps within the grace period.
        flushTimeoutMs: (stopped) => (stopped ? Math.floor(config.shutdownGraceMs * 0.6) : 180_000),
        onProgress: (snapshot) => progress.update(snapshot),
        progressIntervalMs: config.progressIntervalMs,
      });
      progress.stop({ ...result, total, elapsedMs: result.elapsedMs });

      const unacknowledged = result.sent - result.acknowledged;
      const summary = {
        ...result,
        unacknowledged,
        ratePerSecond: Math.round((result.acknowledged * 1000) / result.elapsedMs),
      };
      if (unacknowledged > 0) {
        logger.error(
          { event: "producer.finished", ...summary },
          `${unacknowledged} of ${result.sent} values sent were not acknowledged (${result.failed} failed); every value below ${result.resumeFrom} was: resume with PRODUCE_FROM=${result.resumeFrom}`,
        );
        return ExitCode.failure;
      }
      if (signal.aborted && config.to !== undefined && result.next < config.to) {
        logger.info(
          { event: "producer.finished", ...summary },
          `stopped before the end of the range; resume with PRODUCE_FROM=${result.resumeFrom}`,
        );
        return ExitCode.ok;
      }
      logger.info(
        { event: "producer.finished", ...summary },
        `all ${result.acknowledged} values acknowledged`,
      );
      return ExitCode.ok;
    },
  };
}
