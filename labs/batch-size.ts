// The batch-size lab's measurement: one batch consumer at each BATCH_SIZE, first draining a backlog (throughput),
// then following a paced stream (latency: record timestamp to processed, the mean of the service's histogram).
import { setTimeout as sleep } from "node:timers/promises";

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
    await waitForRecords(results, backlog);
    const backlogPerSecond = backlog / ((performance.now() - drainStarted) / 1000);

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
