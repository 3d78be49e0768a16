import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  BatchAccumulator,
  batchPartitions,
  byPartition,
  commitOffsets,
  isBatchDue,
  lastOffsets,
  partitionKey,
  pollTimeoutMs,
} from "@kafka-fleet/processing";

const rules = { maxSize: 10, maxWaitMs: 1000 };
const record = (partition: number, offset: number, topic = "t") => ({ topic, partition, offset });

describe("isBatchDue", () => {
  it("is due when full, whatever its age", () => {
    assert.equal(isBatchDue(10, 0, rules), true);
    assert.equal(isBatchDue(11, 0, rules), true);
  });
  it("is due when partial and the first record waited maxWaitMs", () => {
    assert.equal(isBatchDue(7, 999, rules), false);
    assert.equal(isBatchDue(7, 1000, rules), true);
  });
  it("is never due when empty", () => {
    assert.equal(isBatchDue(0, 1_000_000, rules), false);
  });
});

describe("pollTimeoutMs", () => {
  it("waits the idle time when empty, and no longer than the batch has left otherwise", () => {
    assert.equal(pollTimeoutMs(0, 0, rules, 250), 250);
    assert.equal(pollTimeoutMs(3, 900, rules, 250), 100);
    assert.equal(pollTimeoutMs(3, 100, rules, 250), 250);
    assert.equal(pollTimeoutMs(3, 5000, rules, 250), 0);
  });
});

describe("commitOffsets", () => {
  it("commits offset + 1 of the highest record per partition", () => {
    const records = [record(0, 5), record(1, 9), record(0, 7), record(0, 6), record(1, 8), record(2, 0, "u")];
    assert.deepEqual(commitOffsets(records), [record(0, 8), record(1, 10), record(2, 1, "u")]);
  });
  it("commits nothing for an empty batch", () => {
    assert.deepEqual(commitOffsets([]), []);
  });
});

describe("lastOffsets", () => {
  it("commits offset + 1 of each partition's last record, as commitOffsets does for records in offset order", () => {
    const records = [record(0, 5), record(1, 8), record(0, 6), record(2, 0, "u"), record(0, 7), record(1, 9)];
    assert.deepEqual(lastOffsets(records), [record(0, 8), record(1, 10), record(2, 1, "u")]);
    assert.deepEqual(lastOffsets(records), commitOffsets(records));
  });
  it("tells partitions of the same number in different topics apart, also in adjacent runs", () => {
    const records = [record(0, 1), record(0, 2), record(0, 7, "u"), record(0, 3)];
    assert.deepEqual(lastOffsets(records), [record(0, 4), record(0, 8, "u")]);
  });
  it("commits nothing for an empty batch", () => {
    assert.deepEqual(lastOffsets([]), []);
  });
});

describe("batchPartitions", () => {
  it("keys each partition of the batch to the offset after its last record, runs of one record included", () => {
    const records = [record(0, 5), record(0, 6), record(1, 8), record(0, 7), record(2, 0, "u")];
    const found = batchPartitions(records);
    assert.deepEqual(
      [...found.keys()],
      [partitionKey(record(0, 0)), partitionKey(record(1, 0)), partitionKey(record(2, 0, "u"))],
    );
    assert.deepEqual([...found.values()], [record(0, 8), record(1, 9), record(2, 1, "u")]);
  });
  it("finds nothing in an empty batch", () => {
    assert.equal(batchPartitions([]).size, 0);
  });
});

describe("byPartition", () => {
  it("orders positions by topic, then partition", () => {
    const positions = [record(2, 0, "u"), record(10, 0), record(2, 0), record(0, 0, "u"), record(0, 0, "T")];
    assert.deepEqual(byPartition(positions), [
      record(0, 0, "T"),
      record(2, 0),
      record(10, 0),
      record(0, 0, "u"),
      record(2, 0, "u"),
    ]);
  });
});

describe("BatchAccumulator", () => {
  it("adds what a fetch brought in one call, starting the clock on the first", () => {
    const batch = new BatchAccumulator(rules);
    batch.addAll([record(0, 0), record(0, 1)], 100);
    batch.addAll([record(0, 2)], 5000);
    assert.equal(batch.size, 3);
    assert.equal(batch.isDue(100 + rules.maxWaitMs - 1), false);
    assert.equal(batch.isDue(100 + rules.maxWaitMs), true);
    assert.deepEqual(
      batch.take().map(({ offset }) => offset),
      [0, 1, 2],
    );
  });

  it("falls due at maxSize and leaves no room beyond it", () => {
    const batch = new BatchAccumulator(rules);
    for (let offset = 0; offset < 9; offset += 1) batch.add(record(0, offset), 0);
    assert.equal(batch.isDue(0), false);
    assert.equal(batch.room, 1);
    batch.add(record(0, 9), 0);
    assert.equal(batch.isDue(0), true);
    assert.equal(batch.room, 0);
  });

  it("times a partial batch from its first record, not its last", () => {
    const batch = new BatchAccumulator(rules);
    batch.add(record(0, 0), 1000);
    batch.add(record(0, 1), 1900);
    assert.equal(batch.isDue(1999), false);
    assert.equal(batch.isDue(2000), true);
    assert.equal(batch.pollTimeoutMs(1900, 250), 100);
  });

  it("hands its records over once and restarts the clock", () => {
    const batch = new BatchAccumulator(rules);
    batch.add(record(0, 0), 0);
    assert.deepEqual(batch.take(), [record(0, 0)]);
    assert.equal(batch.size, 0);
    batch.add(record(0, 1), 5000);
    assert.equal(batch.isDue(5999), false);
  });

  it("hands over at most maxSize records: the rest start the next batch, in order", () => {
    const batch = new BatchAccumulator(rules);
    batch.addAll(
      Array.from({ length: rules.maxSize + 2 }, (_, offset) => record(0, offset)),
      0,
    );
    assert.equal(batch.take(7000).length, rules.maxSize);
    assert.deepEqual(batch.take(), [record(0, rules.maxSize), record(0, rules.maxSize + 1)]);
    batch.addAll([record(0, 20), record(0, 21), record(0, 22)], 0);
    batch.addAll(
      Array.from({ length: rules.maxSize }, (_, i) => record(0, 23 + i)),
      0,
    );
    batch.take(7000);
    assert.equal(batch.isDue(7000 + rules.maxWaitMs - 1), false, "the rest's clock starts at the hand-over");
  });

  it("drops the records of revoked partitions only", () => {
    const batch = new BatchAccumulator(rules);
    for (const r of [record(0, 0), record(1, 0), record(0, 1), record(2, 0)]) batch.add(r, 0);
    assert.equal(
      batch.drop((r) => r.partition === 0),
      2,
    );
    assert.deepEqual(batch.take(), [record(1, 0), record(2, 0)]);
  });
});
