import assert from "node:assert/strict";
import { describe, it } from "node:test";

import type { DeliveryProducer } from "@kafka-fleet/kafka";
import { createLogger, createRegistry } from "@kafka-fleet/service";

import { createProducerMetrics } from "../src/metrics.ts";
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
    tryProduce: () => {
      if (full) return false;
      produced += 1;
      return true;
    },
    waitForRoom: () => room,
    flush: () => Promise.resolve(0),
    get acknowledged() {
      return produced;
    },
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
});
