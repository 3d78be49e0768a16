import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { OrderingQueue, type KeyedPosition, type Ordering } from "@kafka-fleet/processing";

interface Rec extends KeyedPosition {
  readonly key: string | null;
}

const rec = (offset: number, key: string | null, partition = 0): Rec => ({
  topic: "t",
  partition,
  offset,
  key,
});
const offsets = (records: readonly Rec[]) => records.map((record) => `${record.partition}:${record.offset}`);

describe("OrderingQueue", () => {
  it("key: different keys start together, a key's next record waits for its previous one", () => {
    const queue = new OrderingQueue<Rec>("key", 10);
    const records = [rec(0, "a"), rec(1, "b"), rec(2, "a"), rec(3, "c"), rec(4, "b")];
    for (const record of records) queue.add(record);
    assert.deepEqual(offsets(queue.next()), ["0:0", "0:1", "0:3"]);
    assert.equal(queue.queued, 2);
    assert.deepEqual(offsets(queue.next()), [], "nothing more may start before a completion");

    assert.equal(queue.complete(records[1]!), undefined, "offset 0 is still running: nothing to store");
    assert.deepEqual(offsets(queue.next()), ["0:4"], "b's next one");
    assert.deepEqual(queue.complete(records[0]!), { topic: "t", partition: 0, offset: 2 }, "2 has not run");
    assert.deepEqual(offsets(queue.next()), ["0:2"]);
    for (const offset of [2, 3, 4]) queue.complete(records[offset]!);
    assert.equal(queue.inFlight, 0);
    assert.equal(queue.queued, 0);
  });

  it("key: records without a key run concurrently, beside keyed ones that keep their order", () => {
    const queue = new OrderingQueue<Rec>("key", 10);
    const records = [rec(0, null), rec(1, null), rec(2, "a"), rec(3, "a"), rec(4, null)];
    for (const record of records) queue.add(record);
    assert.deepEqual(offsets(queue.next()), ["0:0", "0:1", "0:2", "0:4"]);
    queue.complete(records[2]!);
    assert.deepEqual(offsets(queue.next()), ["0:3"]);
  });

  it("key: a record without a key never lets the stored offset pass an unfinished one", () => {
    const queue = new OrderingQueue<Rec>("key", 10);
    const records = [rec(0, null), rec(1, null)];
    for (const record of records) queue.add(record);
    assert.equal(queue.next().length, 2);
    assert.equal(queue.complete(records[1]!), undefined);
    assert.deepEqual(queue.complete(records[0]!), { topic: "t", partition: 0, offset: 2 });
  });

  it("key: an empty key is a key, not the absence of one; equal keys of different partitions are apart", () => {
    const queue = new OrderingQueue<Rec>("key", 10);
    for (const record of [rec(0, ""), rec(1, null), rec(0, "a", 1), rec(0, "a", 2)]) queue.add(record);
    assert.equal(queue.next().length, 4);
  });

  it("key: Buffer keys compare by their bytes", () => {
    const queue = new OrderingQueue<KeyedPosition>("key", 10);
    queue.add({ topic: "t", partition: 0, offset: 0, key: Buffer.from([0xff, 1]) });
    queue.add({ topic: "t", partition: 0, offset: 1, key: Buffer.from([0xff, 1]) });
    queue.add({ topic: "t", partition: 0, offset: 2, key: Buffer.from([0xff, 2]) });
    assert.deepEqual(
      queue.next().map((record) => record.offset),
      [0, 2],
    );
  });

  it("partition: strictly one after another per partition, partitions concurrently", () => {
    const queue = new OrderingQueue<Rec>("partition", 10);
    const records = [rec(0, "a"), rec(1, "b"), rec(0, "c", 1)];
    for (const record of records) queue.add(record);
    assert.deepEqual(offsets(queue.next()), ["0:0", "1:0"]);
    queue.complete(records[0]!);
    assert.deepEqual(offsets(queue.next()), ["0:1"]);
  });

  it("unordered: everything starts at once, up to the cap", () => {
    const queue = new OrderingQueue<Rec>("unordered", 2);
    const records = [rec(0, "a"), rec(1, "a"), rec(2, "a")];
    for (const record of records) queue.add(record);
    assert.deepEqual(offsets(queue.next()), ["0:0", "0:1"]);
    assert.equal(queue.complete(records[1]!), undefined);
    assert.deepEqual(offsets(queue.next()), ["0:2"]);
  });

  it("caps records in flight, and a hot key cannot hold the slots other keys wait for", () => {
    const queue = new OrderingQueue<Rec>("key", 2);
    const hot = Array.from({ length: 5 }, (_, offset) => rec(offset, "hot"));
    const cold = [rec(5, "x"), rec(6, "y")];
    for (const record of [...hot, ...cold]) queue.add(record);
    assert.deepEqual(offsets(queue.next()), ["0:0", "0:5"]);
    queue.complete(hot[0]!);
    // The hot lane went to the back of the line: y, waiting longer, goes first.
    assert.deepEqual(offsets(queue.next()), ["0:6"]);
  });

  it("revoke drops the queued records but still stores what the running ones finish, up to the first dropped", () => {
    const queue = new OrderingQueue<Rec>("key", 10);
    const records = [rec(0, "a"), rec(1, "a"), rec(2, "b"), rec(3, "c", 1)];
    for (const record of records) queue.add(record);
    assert.equal(queue.next().length, 3);
    assert.equal(queue.revoke("t", 0), 1, "offset 1 had not started");
    assert.equal(queue.queued, 0);
    assert.equal(queue.inFlightIn("t", 0), 2);
    assert.equal(queue.complete(records[2]!), undefined, "offset 0 still runs");
    assert.deepEqual(queue.complete(records[0]!), { topic: "t", partition: 0, offset: 1 }, "not past 1");
    assert.deepEqual(queue.next(), [], "the dropped record never starts");
    queue.forget("t", 0);
    assert.equal(queue.inFlightIn("t", 1), 1, "the other partition is untouched");
  });

  it("forget ignores later completions of the partition's running records, but frees their slots", () => {
    const queue = new OrderingQueue<Rec>("key", 1);
    const old = rec(0, "a");
    queue.add(old);
    queue.next();
    queue.forget("t", 0);
    const again = rec(0, "a");
    queue.add(again);
    assert.deepEqual(queue.next(), [], "the old record still holds the only slot");
    assert.equal(queue.complete(old), undefined, "a stale completion stores nothing");
    assert.deepEqual(offsets(queue.next()), ["0:0"]);
    assert.deepEqual(queue.complete(again), { topic: "t", partition: 0, offset: 1 });
  });

  for (const ordering of ["key", "partition", "unordered"] as const satisfies readonly Ordering[]) {
    it(`${ordering}: random completions keep the order, the cap and the stored-offset promise`, () => {
      simulate(ordering, 1);
      simulate(ordering, 2);
    });
  }
});

/** A deterministic pseudo-random sequence, so a failure replays. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

function simulate(ordering: Ordering, seed: number): void {
  const next = random(seed);
  const maxInFlight = 8;
  const queue = new OrderingQueue<Rec>(ordering, maxInFlight);
  const partitions = 3;
  const perPartition = 400;
  // Under `key`, a keyless record is a lane of its own: nothing orders it.
  const laneOf = (record: Rec) =>
    ordering === "partition"
      ? `${record.partition}`
      : `${record.partition}/${record.key ?? `none@${record.offset}`}`;
  const lastStarted = new Map<string, number>();
  const running = new Set<Rec>();
  const done = new Set<string>();
  const stored = new Map<number, number>();
  let sawReorder = false;
  const fed = new Array<number>(partitions).fill(0);

  const start = () => {
    for (const record of queue.next()) {
      const lane = laneOf(record);
      if (ordering !== "unordered") {
        assert.ok(
          ![...running].some((other) => laneOf(other) === lane),
          `two records of lane ${lane} at once`,
        );
        assert.ok((lastStarted.get(lane) ?? -1) < record.offset, `lane ${lane} out of offset order`);
      }
      lastStarted.set(lane, record.offset);
      running.add(record);
    }
    assert.ok(running.size <= maxInFlight && running.size === queue.inFlight);
  };

  while (fed.some((count) => count < perPartition) || running.size > 0) {
    // Fetch a few records of a random partition, keyed over 5 keys and some without a key.
    const partition = Math.floor(next() * partitions);
    for (let i = 0; i < 3 && fed[partition]! < perPartition; i += 1) {
      const keyDraw = Math.floor(next() * 6);
      queue.add(rec(fed[partition]!, keyDraw === 5 ? null : `k${keyDraw}`, partition));
      fed[partition]! += 1;
    }
    start();
    // Complete a random running record.
    const list = [...running];
    const finished = list[Math.floor(next() * list.length)];
    if (finished === undefined) continue;
    running.delete(finished);
    if (list.some((other) => other.partition === finished.partition && other.offset < finished.offset))
      sawReorder = true;
    done.add(`${finished.partition}:${finished.offset}`);
    const safe = queue.complete(finished);
    if (safe !== undefined) {
      for (let offset = 0; offset < safe.offset; offset += 1)
        assert.ok(done.has(`${safe.partition}:${offset}`), `stored ${safe.offset} past unfinished ${offset}`);
      assert.ok(safe.offset > (stored.get(safe.partition) ?? 0), "stored offsets only move up");
      stored.set(safe.partition, safe.offset);
    }
    start();
  }
  for (let partition = 0; partition < partitions; partition += 1)
    assert.equal(stored.get(partition), perPartition, "everything done: the end is stored");
  assert.equal(queue.queued, 0);
  assert.equal(sawReorder, ordering !== "partition", "records of a partition overlap unless ordered by it");
}

describe("OrderingQueue with a hot key that never runs dry", () => {
  it("keeps handing its records out in order across the lane's compactions", () => {
    const queue = new OrderingQueue<Rec>("key", 4);
    let nextOffset = 0;
    const add = (count: number) => {
      for (let i = 0; i < count; i += 1) queue.add(rec(nextOffset++, "hot"));
    };
    add(10);
    let expected = 0;
    for (let round = 0; round < 5_000; round += 1) {
      const started = queue.next();
      assert.equal(started.length, 1, "one at a time");
      assert.equal(started[0]!.offset, expected);
      add(1);
      assert.deepEqual(queue.complete(started[0]!), { topic: "t", partition: 0, offset: expected + 1 });
      expected += 1;
    }
    assert.equal(queue.queued, 10);
  });
});
