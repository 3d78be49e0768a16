import { sum, type Sample } from "./metrics-text.ts";

/** What the live view shows of one service process, read from one scrape of its /metrics. */
export interface Snapshot {
  readonly at: number;
  readonly service: string;
  readonly produced: number;
  readonly deliveryFailures: number;
  readonly processed: number;
  readonly batches: number;
  readonly batchRecords: number;
  readonly batchSeconds: number;
  readonly batchSecondsCount: number;
  readonly lag: ReadonlyArray<{ partition: string; lag: number }>;
  readonly rebalances: number;
  readonly deadLetters: number;
  readonly commitsFailed: number;
  readonly stalled: boolean;
}

const P = "kafka_fleet_";

export function snapshotOf(samples: readonly Sample[], at: number): Snapshot {
  const service = samples.find((sample) => sample.labels.service !== undefined)?.labels.service ?? "?";
  const lag = samples
    .filter((sample) => sample.name === `${P}consumer_lag`)
    .map((sample) => ({ partition: sample.labels.partition ?? "?", lag: sample.value }))
    .sort((a, b) => Number(a.partition) - Number(b.partition));
  return {
    at,
    service,
    produced: sum(samples, `${P}messages_produced_total`),
    deliveryFailures: sum(samples, `${P}delivery_failures_total`),
    processed: sum(samples, `${P}messages_processed_total`),
    batches: sum(samples, `${P}batch_size_count`),
    batchRecords: sum(samples, `${P}batch_size_sum`),
    batchSeconds: sum(samples, `${P}batch_processing_seconds_sum`),
    batchSecondsCount: sum(samples, `${P}batch_processing_seconds_count`),
    lag,
    rebalances: sum(samples, `${P}rebalances_total`),
    deadLetters: sum(samples, `${P}dead_letters_total`),
    commitsFailed: sum(samples, `${P}commits_total`, { result: "failed" }),
    stalled: sum(samples, `${P}poll_loop_stalled`) > 0,
  };
}
