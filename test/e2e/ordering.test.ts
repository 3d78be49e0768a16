// The single consumer's ordering modes and the batch consumer's order, shown with real processes on the real
// cluster: a handler with random per-record delays scrambles whatever the mode lets run together.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";

import { auditValues } from "@kafka-fleet/audit";

import {
  createInputTopic,
  createTestTopic,
  deleteGroupAfter,
  testAdmin,
  testProducer,
  uniqueName,
} from "../../harness/kafka.ts";
import {
  byKey,
  byPartition,
  delayingConsumer,
  groupsOutOfOrder,
  originsOf,
  produceKeyed,
  recordingBatchConsumer,
  resultsInOrder,
  runMode,
  type Origin,
} from "../../harness/ordering.ts";
import { startService, stopGracefully, waitForAssignment, waitForRecords } from "../../harness/services.ts";

describe("the single consumer's ordering", () => {
  const count = 3_000;
  const keys = 60;

  it("key: every key's results come out in offset order, while keys of a partition overtake each other", async (t) => {
    const { results, origins } = await runMode(t, "key", count, keys);
    assert.deepEqual(groupsOutOfOrder(results, origins, byKey), [], "keys out of order");
    assert.notDeepEqual(
      groupsOutOfOrder(results, origins, byPartition),
      [],
      "no key ever overtook another in its partition: keys did not run concurrently",
    );
  });

  it("partition: every partition's results come out in offset order", async (t) => {
    const { results, origins } = await runMode(t, "partition", count, keys);
    assert.deepEqual(groupsOutOfOrder(results, origins, byPartition), [], "partitions out of order");
  });

  it("unordered: records of one key finish out of offset order", async (t) => {
    const { results, origins } = await runMode(t, "unordered", count, keys);
    assert.notDeepEqual(groupsOutOfOrder(results, origins, byKey), [], "nothing was reordered");
  });
});

/**
 * Checks the at-least-once promise of stored offsets: for every partition, each record below the committed
 * offset has its result. Committed offsets are read first: results only grow, so later reads cannot mislead.
 */
async function assertNothingCommittedPastUnfinished(
  admin: ReturnType<typeof testAdmin>,
  group: string,
  input: string,
  resultsTopic: string,
  origins: Map<bigint, Origin>,
): Promise<number> {
  const committed = await admin.committedOffsets(group, input, 6);
  const processed = new Set(
    (await resultsInOrder(resultsTopic)).map((value) => {
      const origin = origins.get(value);
      return origin === undefined ? "?" : `${origin.partition}:${origin.offset}`;
    }),
  );
  let total = 0;
  for (const { partition, offset } of committed) {
    for (let below = 0; below < offset; below += 1)
      assert.ok(
        processed.has(`${partition}:${below}`),
        `committed ${partition}:${offset} past unfinished ${below}`,
      );
    total += Math.max(0, offset);
  }
  return total;
}

describe("the single consumer stopped or rebalanced mid-flight (key ordering)", () => {
  const count = 8_000;
  // About ten keys per partition, each record taking up to 200 ms: keys overtake each other within every
  // partition, so finished records sit beyond unfinished ones (which the stored offsets must not pass), and every
  // key has records waiting for its turn when the stop or the hand-over comes.
  const keys = 60;

  it("on SIGTERM finishes what it started, commits no offset past an unfinished record, and a successor loses nothing", async (t) => {
    const input = await createInputTopic(t, "order-stop");
    const resultsTopic = await createTestTopic(t, "order-stop-results", 1);
    const group = uniqueName("order-stop");
    deleteGroupAfter(t, group);
    const admin = testAdmin(t);
    await produceKeyed(await testProducer(t), input, count, keys);
    const origins = await originsOf(input);
    const env = {
      KAFKA_TOPIC: input,
      RESULTS_TOPIC: resultsTopic,
      CONSUMER_GROUP: group,
      DELAY_MAX_MS: "200",
    };

    const first = startService(t, delayingConsumer, env);
    await waitForRecords(resultsTopic, 500);
    assert.equal(await stopGracefully(first), 0, first.stderr());
    const committed = await assertNothingCommittedPastUnfinished(admin, group, input, resultsTopic, origins);
    assert.ok(committed > 0 && committed < count, `stopped mid-stream (committed ${committed})`);

    const successor = startService(t, delayingConsumer, env);
    await waitUntilComplete(resultsTopic, count);
    assert.equal(await stopGracefully(successor), 0, successor.stderr());
    await assertNothingCommittedPastUnfinished(admin, group, input, resultsTopic, origins);
  });

  it("hands partitions over mid-flight without losing a record or committing past an unfinished one", async (t) => {
    const input = await createInputTopic(t, "order-rebalance");
    const resultsTopic = await createTestTopic(t, "order-rebalance-results", 1);
    const group = uniqueName("order-rebalance");
    deleteGroupAfter(t, group);
    const admin = testAdmin(t);
    await produceKeyed(await testProducer(t), input, count, keys);
    const origins = await originsOf(input);
    const env = {
      KAFKA_TOPIC: input,
      RESULTS_TOPIC: resultsTopic,
      CONSUMER_GROUP: group,
      DELAY_MAX_MS: "200",
    };

    const first = startService(t, delayingConsumer, env);
    await waitForRecords(resultsTopic, 500);
    const second = startService(t, delayingConsumer, env);
    const revoked = await first.waitForEvent(
      "single_consumer.revoked",
      90_000,
      (line) => line.lost === false,
    );
    assert.ok(Number(revoked.partitions) > 0);
    assert.ok(
      Number(revoked.dropped) > 0,
      `records were waiting when the partitions went (a mid-flight hand-over): ${JSON.stringify(
        first.logs.filter((line) => /rebalance|revoked/.test(String(line.event))),
      )}`,
    );
    await waitForAssignment(second);
    await assertNothingCommittedPastUnfinished(admin, group, input, resultsTopic, origins);

    await waitUntilComplete(resultsTopic, count);
    for (const consumer of [second, first])
      assert.equal(await stopGracefully(consumer), 0, consumer.stderr());
    await assertNothingCommittedPastUnfinished(admin, group, input, resultsTopic, origins);
  });
});

/** Waits until every value of [0, count) has a result (duplicates allowed: at-least-once). */
async function waitUntilComplete(resultsTopic: string, count: number, timeoutMs = 240_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let missing = count;
  while (Date.now() < deadline) {
    await waitForRecords(resultsTopic, count, timeoutMs);
    missing = auditValues({ from: 0n, to: BigInt(count) }, await resultsInOrder(resultsTopic)).missing;
    if (missing === 0) return;
    await sleep(1000);
  }
  throw new Error(`${missing} of ${count} values still have no result after ${timeoutMs} ms`);
}

describe("the batch consumer's order", () => {
  it("hands its handler each partition's records in offset order", async (t) => {
    const count = 3_000;
    const input = await createInputTopic(t, "order-batch");
    const group = uniqueName("order-batch");
    deleteGroupAfter(t, group);
    await produceKeyed(await testProducer(t), input, count, 60);
    const consumer = startService(t, recordingBatchConsumer, {
      KAFKA_TOPIC: input,
      CONSUMER_GROUP: group,
      BATCH_SIZE: "100",
      BATCH_MAX_WAIT_MS: "200",
    });
    const received = () =>
      consumer.logs
        .filter((line) => line.event === "test.batch_received")
        .flatMap((line) => String(line.positions).split(","));
    await consumer.waitForEvent("test.batch_received", 120_000, () => received().length >= count);
    assert.equal(await stopGracefully(consumer), 0, consumer.stderr());

    const last = new Map<string, number>();
    let partitionsPerBatch = 0;
    for (const line of consumer.logs.filter((entry) => entry.event === "test.batch_received")) {
      const positions = String(line.positions).split(",");
      partitionsPerBatch = Math.max(partitionsPerBatch, new Set(positions.map((p) => p.split(":")[0])).size);
      for (const position of positions) {
        const [partition = "", offset = ""] = position.split(":");
        assert.ok(
          (last.get(partition) ?? -1) < Number(offset),
          `partition ${partition} went back at ${offset}`,
        );
        last.set(partition, Number(offset));
      }
    }
    assert.equal(received().length, count, "each record handed over once");
    assert.equal(last.size, 6, "records of every partition");
    assert.ok(partitionsPerBatch > 1, "batches mixed partitions, so interleaving was possible");
  });
});
