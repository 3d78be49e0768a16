// The batch-size lab's measurement: one batch consumer at each BATCH_SIZE, first draining a backlog (throughput),
// then following a paced stream (latency: record timestamp to processed, the mean of the service's histogram).
import { setTimeout as sleep } from "node:timers/promises";

import type { RunningChild } from "../harness/child.ts";
import {
  createInputTopic,
  createTestTopic,
  deleteGroupAfter,
  produceValues,
  testProducer,
  uniqueName,
  type AfterHook,
} from "../harness/kafka.ts";
import {
  metricValue,
  metricsOf,
  startService,
  stopGracefully,
  waitForAssignment,
  waitForRecords,
} from "../harness/services.ts";

export interface BatchSizeRow {
  readonly batchSize: number;
  readonly backlogPerSecond: number;
  readonly meanLatencyMs: number;
  readonly commits: number;
}

/** How often the drain's end is looked for: a fraction of the short form's drain (about a second at most). */
const DRAIN_POLL_MS = 20;

/**
 * Waits until the consumer has processed `count` records, by its own counter: the drain's end to within
 * DRAIN_POLL_MS. Counting the results topic instead (a read every 500 ms) rounded a drain of half a second or a
 * second to the same 1.2 s, so that BATCH_SIZE 500 and 1 came out equal on a backlog of 1,000.
 */
async function processedAtLeast(consumer: RunningChild, count: number, timeoutMs = 180_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const processed = metricValue(await metricsOf(consumer), "kafka_fleet_messages_processed_total");
    if (processed >= count) return;
    if (performance.now() > deadline)
      throw new Error(`${processed} of ${count} records processed after ${timeoutMs} ms`);
    await sleep(DRAIN_POLL_MS);
  }
}

export async function measureBatchSizes(
  t: AfterHook,
  sizes: readonly number[],
  backlog: number,
  streamRate: number,
  streamSeconds: number,
): Promise<BatchSizeRow[]> {
  const rows: BatchSizeRow[] = [];
  const producer = await testProducer(t);
  for (const batchSize of sizes) {
    const input = await createInputTopic(t, `lab-batch-${batchSize}`);
    const results = await createTestTopic(t, `lab-batch-${batchSize}-results`);
    const group = uniqueName(`lab-batch-${batchSize}`);
    deleteGroupAfter(t, group);
    await produceValues(producer, input, 0n, BigInt(backlog));

    const consumer = startService(t, "batch-consumer", {
      KAFKA_TOPIC: input,
      RESULTS_TOPIC: results,
      CONSUMER_GROUP: group,
      BATCH_SIZE: String(batchSize),
      BATCH_MAX_WAIT_MS: "1000",
    });
    await waitForAssignment(consumer);
    const drainStarted = performance.now();
    await processedAtLeast(consumer, backlog);
    const backlogPerSecond = backlog / ((performance.now() - drainStarted) / 1000);
    await waitForRecords(results, backlog);

    // Latency: only records produced from here on, at a steady rate, count.
    const before = await metricsOf(consumer);
    const sumBefore = metricValue(before, "kafka_fleet_end_to_end_latency_seconds_sum");
    const countBefore = metricValue(before, "kafka_fleet_end_to_end_latency_seconds_count");
    const total = streamRate * streamSeconds;
    // One record at a time, evenly spaced: a burst would fill a batch at once and hide the wait.
    for (let sent = 0; sent < total; sent += 1) {
      await produceValues(producer, input, BigInt(backlog + sent), BigInt(backlog + sent + 1));
      await sleep(1000 / streamRate);
    }
    await waitForRecords(results, backlog + total);
    const after = await metricsOf(consumer);
    const latencySeconds =
      (metricValue(after, "kafka_fleet_end_to_end_latency_seconds_sum") - sumBefore) /
      Math.max(1, metricValue(after, "kafka_fleet_end_to_end_latency_seconds_count") - countBefore);
    const commits = metricValue(after, "kafka_fleet_commits_total", { result: "ok" });
    if ((await stopGracefully(consumer)) !== 0)
      throw new Error(`BATCH_SIZE ${batchSize}: the consumer did not stop cleanly`);
    rows.push({ batchSize, backlogPerSecond, meanLatencyMs: latencySeconds * 1000, commits });
  }
  return rows;
}
