import assert from "node:assert/strict";
import { describe, it } from "node:test";

import type { DeliveryProducer, OutgoingRun } from "@kafka-fleet/kafka";
import { deserializeInt } from "@kafka-fleet/serde";
import { createLogger, createRegistry } from "@kafka-fleet/service";

import { createProducerMetrics } from "../src/metrics.ts";
import { PartitionRuns } from "../src/partition-runs.ts";
import type { ProgressSnapshot } from "../src/progress.ts";
import { produceRange } from "../src/range-producer.ts";

/**
 * A client whose queue is full until `release()`: what the producer sees while the cluster acknowledges nothing
 * (brokers down, below min.insync.replicas). Only what produceRange calls is there.
 */
function stalledProducer() {
  let release = () => {};
  const room = new Promise<void>((resolve) => (release = resolve));
  let full = true;
  let produced = 0;
  const producer = {
    onFailure: () => {},
    tryProduceRun: (run: OutgoingRun) => {
      if (full) return 0;
      produced += run.count;
      return run.count;
    },
    waitForRoom: () => room,
    flush: () => Promise.resolve(0),
    get acknowledged() {
      return produced;
    },
    acknowledgedIds: () => [],
    acknowledgedPrefix: () => produced,
    failed: 0,
  };
  return {
    producer: producer as unknown as DeliveryProducer,
    release: () => {
      full = false;
      release();
    },
  };
}

describe("produceRange", () => {
  it("reports progress while the queue stays full and nothing is sent", { timeout: 30_000 }, async () => {
    const { producer, release } = stalledProducer();
    const snapshots: ProgressSnapshot[] = [];
    const run = produceRange({
      producer,
      topic: "t",
      from: 0n,
      to: 3n,
      rate: 0,
      placement: new PartitionRuns(1, 1),
      signal: new AbortController().signal,
      logger: createLogger({ service: "test", level: "silent" }),
      metrics: createProducerMetrics(createRegistry("producer")),
      flushTimeoutMs: () => 1000,
      onProgress: (snapshot) => snapshots.push(snapshot),
      progressIntervalMs: 20,
    });
    // Released once several reports came in while stalled: none of them could come from a send.
    while (snapshots.length < 3) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.ok(snapshots.every((snapshot) => snapshot.sent === 0));
    release();
    const result = await run;
    assert.equal(result.sent, 3);
    assert.equal(snapshots.at(-1)?.acknowledged, 3, "the last report is the final count");
  });

  it("places values as told and resumes from the first one its partition has not acknowledged", async () => {
    const placement = new PartitionRuns(3, 4);
    const partitionsUsed: number[] = [];
    const valuesSent: bigint[] = [];
    // Partition 1 has its first 5 messages acknowledged (values 104-107 and 116), the others all of theirs.
    const producer = {
      onFailure: () => {},
      // Queues 3 of each run at most, as a queue that fills up would: the rest come in the next call.
      tryProduceRun: (run: OutgoingRun) => {
        const queued = Math.min(run.count, 3);
        for (let i = 0; i < queued; i += 1) {
          partitionsUsed.push(run.partition);
          valuesSent.push(deserializeInt(run.values.subarray(i * run.valueSize, (i + 1) * run.valueSize)));
        }
        return queued;
      },
      waitForRoom: () => Promise.resolve(),
      flush: () => Promise.resolve(0),
      acknowledged: 0,
      acknowledgedIds: () => [14, 5, 12],
      // Nothing drained: only what the statistics say counts.
      acknowledgedPrefix: (reported = 0) => reported,
      failed: 0,
    } as unknown as DeliveryProducer;
    const snapshots: ProgressSnapshot[] = [];
    const result = await produceRange({
      producer,
      topic: "t",
      from: 100n,
      to: 140n,
      rate: 0,
      placement,
      signal: new AbortController().signal,
      logger: createLogger({ service: "test", level: "silent" }),
      metrics: createProducerMetrics(createRegistry("producer")),
      flushTimeoutMs: () => 1000,
      onProgress: (snapshot) => snapshots.push(snapshot),
      progressIntervalMs: 60_000,
    });
    assert.deepEqual(
      partitionsUsed,
      Array.from({ length: 40 }, (_, index) => placement.partitionOf(index)),
    );
    assert.deepEqual(
      valuesSent,
      Array.from({ length: 40 }, (_, index) => 100n + BigInt(index)),
    );
    assert.equal(result.next, 140n);
    assert.equal(result.resumeFrom, 117n);
    assert.equal(snapshots.at(-1)?.resumeFrom, 117n, "the last report says it too");
  });
});
