import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

import type { Health } from "./health.ts";

/** Every metric name carries this prefix (docs/design.md, Metrics). */
export const METRIC_PREFIX = "kafka_fleet_";

/**
 * One Registry per service instance, never prom-client's global one: two services (or two tests) in one
 * process must not share counters. Every series carries a `service` label.
 */
export function createRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  // Default process metrics keep their standard names (process_cpu_seconds_total, ...) so stock dashboards work.
  collectDefaultMetrics({ register: registry });
  return registry;
}

/**
 * /healthz's stall verdict as a metric, so Prometheus can alert on it: a loop awaiting something forever still
 * answers scrapes, while a blocked event loop answers nothing and shows up as `up == 0` instead. Read at
 * scrape time from `health`, so the metric and /healthz can never disagree.
 */
export function createHealthMetrics(registry: Registry, health: Health) {
  return {
    pollLoopStalled: new Gauge({
      name: `${METRIC_PREFIX}poll_loop_stalled`,
      help: "1 while the poll loop has been silent longer than allowed (/healthz answers 503), else 0.",
      registers: [registry],
      collect() {
        this.set(health.liveness().ok ? 0 : 1);
      },
    }),
  };
}

// Latency from a few hundred microseconds (a hot single consumer) to a minute (a backlog being drained).
const LATENCY_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];

export function createProducerMetrics(registry: Registry) {
  return {
    messagesProduced: new Counter({
      name: `${METRIC_PREFIX}messages_produced_total`,
      help: "Messages acknowledged by the cluster (counted from delivery reports, not from produce calls).",
      registers: [registry],
    }),
    deliveryFailures: new Counter({
      name: `${METRIC_PREFIX}delivery_failures_total`,
      help: "Messages whose delivery report carried an error.",
      labelNames: ["code"] as const,
      registers: [registry],
    }),
  };
}
export type ProducerMetrics = ReturnType<typeof createProducerMetrics>;

export function createConsumerMetrics(registry: Registry) {
  const metrics = {
    messagesConsumed: new Counter({
      name: `${METRIC_PREFIX}messages_consumed_total`,
      help: "Records received from the cluster.",
      registers: [registry],
    }),
    messagesProcessed: new Counter({
      name: `${METRIC_PREFIX}messages_processed_total`,
      help: "Records whose processing completed.",
      registers: [registry],
    }),
    endToEndLatency: new Histogram({
      name: `${METRIC_PREFIX}end_to_end_latency_seconds`,
      help: "From the record's timestamp to the end of its processing.",
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    consumerLag: new Gauge({
      name: `${METRIC_PREFIX}consumer_lag`,
      help: "Records between the partition's high watermark and this consumer's position (librdkafka statistics).",
      labelNames: ["topic", "partition"] as const,
      registers: [registry],
    }),
    rebalances: new Counter({
      name: `${METRIC_PREFIX}rebalances_total`,
      help: "Partition assignment changes seen by this consumer.",
      labelNames: ["kind"] as const,
      registers: [registry],
    }),
    commits: new Counter({
      name: `${METRIC_PREFIX}commits_total`,
      help: "Offset commits, by result.",
      labelNames: ["result"] as const,
      registers: [registry],
    }),
    deadLetters: new Counter({
      name: `${METRIC_PREFIX}dead_letters_total`,
      help: "Records set aside as unprocessable, by reason.",
      labelNames: ["reason"] as const,
      registers: [registry],
    }),
  };
  // Known label values start at 0, so dashboards show 0 rather than "no data" before the first event.
  for (const result of ["ok", "failed"]) metrics.commits.inc({ result }, 0);
  for (const kind of ["assigned", "revoked", "lost"]) metrics.rebalances.inc({ kind }, 0);
  for (const reason of ["SERDE_MISSING_VALUE", "SERDE_WRONG_LENGTH"]) metrics.deadLetters.inc({ reason }, 0);
  return metrics;
}
export type ConsumerMetrics = ReturnType<typeof createConsumerMetrics>;

export function createBatchMetrics(registry: Registry) {
  return {
    batchSize: new Histogram({
      name: `${METRIC_PREFIX}batch_size`,
      help: "Records per processed batch.",
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000],
      registers: [registry],
    }),
    batchProcessing: new Histogram({
      name: `${METRIC_PREFIX}batch_processing_seconds`,
      help: "Time to process one batch, commit included.",
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
  };
}
export type BatchMetrics = ReturnType<typeof createBatchMetrics>;

/**
 * What an ordering consumer holds, read at scrape time: records running, and records waiting for their key's turn
 * (a hot key shows up here long before memory does).
 */
export function createOrderingMetrics(
  registry: Registry,
  read: () => { readonly inFlight: number; readonly queued: number },
) {
  return {
    recordsInFlight: new Gauge({
      name: `${METRIC_PREFIX}records_in_flight`,
      help: "Records being processed now.",
      registers: [registry],
      collect() {
        this.set(read().inFlight);
      },
    }),
    recordsWaiting: new Gauge({
      name: `${METRIC_PREFIX}records_waiting`,
      help: "Records fetched and waiting for their key's (or partition's) turn.",
      registers: [registry],
      collect() {
        this.set(read().queued);
      },
    }),
  };
}
