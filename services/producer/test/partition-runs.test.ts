import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { PartitionRuns, runLengthFor } from "../src/partition-runs.ts";

/** The prefix the slow way: place every value, then find the first one its partition has not acknowledged. */
function prefixByPlacing(runs: PartitionRuns, acknowledged: readonly number[], sent: number): number {
  const seen = new Array<number>(runs.partitions).fill(0);
  for (let index = 0; index < sent; index += 1) {
    const partition = runs.partitionOf(index);
    const k = seen[partition] ?? 0;
    seen[partition] = k + 1;
    if (k >= (acknowledged[partition] ?? 0)) return index;
  }
  return sent;
}

/** A small deterministic generator, so that a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

describe("PartitionRuns", () => {
  it("places runs of values on the partitions in turn", () => {
    const runs = new PartitionRuns(3, 2);
    assert.deepEqual(
      Array.from({ length: 13 }, (_, index) => runs.partitionOf(index)),
      [0, 0, 1, 1, 2, 2, 0, 0, 1, 1, 2, 2, 0],
    );
  });

  it("stops the prefix at the first value its partition has not acknowledged", () => {
    const runs = new PartitionRuns(3, 2);
    // Sent 0..9: partition 0 has 0,1,6,7; partition 1 has 2,3,8,9; partition 2 has 4,5.
    assert.equal(runs.acknowledgedPrefix([4, 4, 2], 10), 10, "all acknowledged");
    assert.equal(runs.acknowledgedPrefix([4, 1, 2], 10), 3, "partition 1's second message is value 3");
    assert.equal(runs.acknowledgedPrefix([3, 4, 2], 10), 7, "partition 0's fourth message is value 7");
    assert.equal(runs.acknowledgedPrefix([4, 4, 0], 10), 4, "partition 2 has none acknowledged: value 4");
    assert.equal(runs.acknowledgedPrefix([], 10), 0, "no statistics yet");
    assert.equal(runs.acknowledgedPrefix([4, 4, 2], 0), 0, "nothing sent");
  });

  it("agrees with placing every value, whatever each partition has acknowledged", () => {
    const next = random(7);
    for (let round = 0; round < 2000; round += 1) {
      const runs = new PartitionRuns(1 + Math.floor(next() * 7), 1 + Math.floor(next() * 9));
      const sent = Math.floor(next() * 200);
      // What each partition holds of the values sent, and a random acknowledged prefix of each.
      const held = new Array<number>(runs.partitions).fill(0);
      for (let index = 0; index < sent; index += 1) {
        const partition = runs.partitionOf(index);
        held[partition] = (held[partition] ?? 0) + 1;
      }
      const acknowledged = held.map((count) => Math.floor(next() * (count + 1)));
      assert.equal(
        runs.acknowledgedPrefix(acknowledged, sent),
        prefixByPlacing(runs, acknowledged, sent),
        `partitions ${runs.partitions}, runs of ${runs.runLength}, sent ${sent}, acknowledged ${acknowledged.join(",")}`,
      );
    }
  });

  it("refuses a placement it could not compute", () => {
    assert.throws(() => new PartitionRuns(0, 10), RangeError);
    assert.throws(() => new PartitionRuns(6, 0), RangeError);
  });
});

describe("runLengthFor", () => {
  const options = { fullRun: 2048, stickyMs: 20 };
  it("keeps a full run unpaced", () => assert.equal(runLengthFor(0, options), 2048));
  it("keeps a linger's worth of values paced, at least one, at most a full run", () => {
    assert.equal(runLengthFor(1000, options), 20);
    assert.equal(runLengthFor(1, options), 1);
    assert.equal(runLengthFor(10_000_000, options), 2048);
  });
});
