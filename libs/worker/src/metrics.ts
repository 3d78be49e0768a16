import { Counter, Gauge, Histogram, type Registry } from "prom-client";

import { LATENCY_BUCKETS, METRIC_PREFIX } from "@kafka-fleet/service";

/** The workers' metrics (docs/design.md, Metrics): consumed and processed records, batches, ordering. */

/**
 * `deadLetterReasons`: the codes the worker's deserializer throws (its serde's), shown at 0 from the start; the
 * handler's own reasons appear with their first dead letter.
 */
export function createConsumerMetrics(registry: Registry, deadLetterReasons: readonly string[]) {
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
    deadLetterValuesOmitted: new Counter({
      name: `${METRIC_PREFIX}dead_letter_values_omitted_total`,
      help: "Dead letters sent without their value because the dead-letter topic refused the record as too large.",
      registers: [registry],
    }),
  };
  // Known label values start at 0, so dashboards show 0 rather than "no data" before the first event.
  for (const result of ["ok", "failed"]) metrics.commits.inc({ result }, 0);
  for (const kind of ["assigned", "revoked", "lost"]) metrics.rebalances.inc({ kind }, 0);
  for (const reason of deadLetterReasons) metrics.deadLetters.inc({ reason }, 0);
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

/** A share-group worker's acknowledgements (KIP-932): by type, the failed ones, and which delivery each record was. */
export function createShareMetrics(registry: Registry) {
  const metrics = {
    acknowledgements: new Counter({
      name: `${METRIC_PREFIX}share_acknowledgements_total`,
      help: "Records acknowledged to the share group: ACCEPT, RELEASE (delivered again) or REJECT (archived).",
      labelNames: ["type"] as const,
      registers: [registry],
    }),
    acknowledgementFailures: new Counter({
      name: `${METRIC_PREFIX}share_acknowledgement_failures_total`,
      help: "Partitions whose acknowledgements the broker refused (their records come back when their lock ends).",
      registers: [registry],
    }),
    deliveryCount: new Histogram({
      name: `${METRIC_PREFIX}share_delivery_count`,
      help: "Which delivery of its record each acquired record was (1 the first).",
      buckets: [1, 2, 3, 4, 5, 6, 8, 10],
      registers: [registry],
    }),
  };
  for (const type of ["ACCEPT", "RELEASE", "REJECT"]) metrics.acknowledgements.inc({ type }, 0);
  return metrics;
}
export type ShareMetrics = ReturnType<typeof createShareMetrics>;

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
