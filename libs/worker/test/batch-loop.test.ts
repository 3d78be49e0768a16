import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";

import { DeliveryError, ErrorCodes } from "@kafka-fleet/kafka";
import { FleetError } from "@kafka-fleet/service";
import { UnrecoverableError, type Handle, type RecordFailure, type WorkerRecord } from "@kafka-fleet/worker";
import { BatchLoop, TransactionalBatchLoop, fetchSize } from "@kafka-fleet/worker/internal";

import { FakeConsumer, FakeTransactions } from "./support/fake-consumer.ts";
import { counted, gate, message, range, started, until, valuesOf, workerParts } from "./support/harness.ts";

/** A batch loop on a fake consumer of partitions 0 and 1, running until the test stops it. */
function batchLoop(options: {
  handle: Handle<bigint>;
  maxSize?: number;
  maxWaitMs?: number;
  maxUncommitted?: number;
  retries?: number;
  transactions?: FakeTransactions;
  commitDeadlineMs?: number;
}) {
  const parts = workerParts({ handle: options.handle, retries: options.retries });
  const consumer = new FakeConsumer("input", [0, 1]);
  const common = {
    rules: { maxSize: options.maxSize ?? 5, maxWaitMs: options.maxWaitMs ?? 20 },
    consumer,
    processor: parts.processor,
    signal: parts.stop.signal,
    logger: parts.logger,
    metrics: parts.metrics,
    health: parts.health,
    keepAliveAfterMs: 20,
  };
  // Exactly-once when the test brings transactions, else pipelined at-least-once.
  const loop =
    options.transactions === undefined
      ? new BatchLoop({ ...common, maxUncommitted: options.maxUncommitted ?? 2, commitRetryMs: 5 })
      : new TransactionalBatchLoop({
          ...common,
          transactions: options.transactions,
          deadLetters: parts.deadLetters,
          ...(options.commitDeadlineMs === undefined ? {} : { commitDeadlineMs: options.commitDeadlineMs }),
        });
  return { ...parts, consumer, ...started(loop, consumer, parts.stop) };
}

/** A handler that records the values of each call and succeeds. */
function recorder() {
  const calls: number[][] = [];
  const handle: Handle<bigint> = (records) => {
    calls.push(valuesOf(records));
    return Promise.resolve();
  };
  return { calls, handle, seen: () => calls.flat().sort((a, b) => a - b) };
}

describe("fetchSize", () => {
  it("asks a few batches' worth per fetch, never less than one batch, and caps what small batches multiply", () => {
    assert.equal(fetchSize(10), 40);
    assert.equal(fetchSize(500), 2000);
    assert.equal(fetchSize(1000), 2000);
    assert.equal(fetchSize(100_000), 100_000);
    assert.equal(fetchSize(1), 4);
  });
});

describe("BatchLoop", () => {
  it("processes full batches in offset order and commits, per partition, the offset after the last record", async () => {
    const { calls, handle } = recorder();
    const worker = batchLoop({ handle, maxSize: 5 });
    worker.consumer.push(...range(0, 0, 10));
    await until("both batches committed", () => worker.consumer.committedOffset(0) === 10);
    await worker.stop();
    assert.deepEqual(calls, [
      [0, 1, 2, 3, 4],
      [5, 6, 7, 8, 9],
    ]);
    assert.equal(await counted(worker.metrics.messagesProcessed), 10);
  });

  it("fetches several batches' worth while one is handed over, and hands them over as batches of maxSize, in order", async () => {
    const { calls, handle } = recorder();
    const worker = batchLoop({ handle, maxSize: 2 });
    worker.consumer.push(...range(0, 0, 9));
    await until("every record committed", () => worker.consumer.committedOffset(0) === 9);
    await worker.stop();
    assert.deepEqual(calls, [[0, 1], [2, 3], [4, 5], [6, 7], [8]]);
    assert.ok(worker.consumer.asked.includes(fetchSize(2)), `asked ${worker.consumer.asked.join(",")}`);
  });

  it("stopped mid-batch, finishes the batch in hand and commits it before returning", async () => {
    const release = gate();
    const calls: number[][] = [];
    const worker = batchLoop({
      maxSize: 3,
      handle: async (records) => {
        calls.push(valuesOf(records));
        await release.promise;
      },
    });
    worker.consumer.push(...range(0, 0, 3));
    await until("the batch is being handled", () => calls.length === 1);
    let returned = false;
    const stopping = worker.stop().then(() => (returned = true));
    await sleep(50);
    assert.equal(returned, false, "run waits for the batch in hand");
    assert.equal(worker.consumer.committedOffset(0), undefined);
    release.open();
    await stopping;
    assert.equal(worker.consumer.committedOffset(0), 3, "committed before run returned");
    assert.deepEqual(calls, [[0, 1, 2]]);
  });

  it("on a revocation mid-batch, finishes and commits the batch before letting the partition go", async () => {
    const release = gate();
    const calls: number[][] = [];
    const worker = batchLoop({
      maxSize: 4,
      handle: async (records) => {
        calls.push(valuesOf(records));
        if (calls.length === 1) await release.promise;
      },
    });
    worker.consumer.push(...range(0, 0, 2), ...range(1, 100, 102));
    await until("the batch is being handled", () => calls.length === 1);
    let revoked = false;
    const revoking = worker.consumer.revoke([0]).then(() => (revoked = true));
    await until("the revocation is blocked", () => worker.consumer.ownedPartitions === 1);
    assert.equal(revoked, false, "the revocation waits for the batch under way");
    release.open();
    await revoking;
    assert.equal(
      worker.consumer.committedOffset(0),
      2,
      "the revoked partition's batch committed on the way out",
    );
    assert.equal(worker.consumer.committedOffset(1), 102);
    // Records of partition 0 fetched after the revocation are someone else's now.
    worker.consumer.push(message(0, 2, 2n), message(1, 102, 102n));
    await until("partition 1 goes on", () => worker.consumer.committedOffset(1) === 103);
    await worker.stop();
    assert.deepEqual(calls, [[0, 1, 100, 101], [102]]);
    assert.equal(worker.consumer.committedOffset(0), 2);
  });

  it("drops the records in hand of a lost partition unprocessed and commits nothing for it", async () => {
    const { calls, handle } = recorder();
    // A batch that is never due on its own: the records wait in hand.
    const worker = batchLoop({ handle, maxSize: 100, maxWaitMs: 60_000 });
    worker.consumer.push(...range(0, 0, 3), ...range(1, 50, 52));
    await until("the records are fetched", () => worker.consumer.waiting === 0);
    await worker.consumer.revoke([0], true);
    await worker.stop();
    assert.deepEqual(calls, [[50, 51]]);
    assert.equal(worker.consumer.committedOffset(0), undefined);
    assert.equal(worker.consumer.committedOffset(1), 52);
    const [gone] = worker.eventsNamed("batch.partitions_gone");
    assert.equal(gone?.droppedRecords, 3);
  });

  it("keeps the offsets of a refused commit and retries them without waiting for another batch, processing nothing twice", async () => {
    const { calls, handle, seen } = recorder();
    const worker = batchLoop({ handle, maxSize: 3, maxUncommitted: 1 });
    worker.consumer.refuseCommits = 1;
    worker.consumer.push(...range(0, 0, 3));
    await until("the commit is refused", () => worker.eventsNamed("batch.commit_deferred").length === 1);
    await until("the retried commit", () => worker.consumer.committedOffset(0) === 3);
    worker.consumer.push(...range(0, 3, 6));
    await until("the next commit", () => worker.consumer.committedOffset(0) === 6);
    await worker.stop();
    assert.deepEqual(seen(), [0, 1, 2, 3, 4, 5]);
    assert.equal(calls.length, 2);
    assert.deepEqual(
      worker.eventsNamed("batch.committed").map((event) => event.offsets),
      ["0:3", "0:6"],
      "each batch reported once, with the commit that carried it",
    );
  });

  it("reports a refused batch once, whichever commit carries it", async () => {
    const { handle, seen } = recorder();
    const worker = batchLoop({ handle, maxSize: 3, maxUncommitted: 2 });
    worker.consumer.refuseCommits = 1;
    worker.consumer.push(...range(0, 0, 6));
    await until("both batches committed", () => worker.consumer.committedOffset(0) === 6);
    await worker.stop();
    assert.deepEqual(seen(), [0, 1, 2, 3, 4, 5]);
    const batches = worker
      .eventsNamed("batch.committed")
      .reduce((sum, event) => sum + Number(event.batches), 0);
    assert.equal(batches, 2, "the refused batch is reported once, by the commit that carried it");
  });

  it("while commits are refused, stops at BATCH_MAX_UNCOMMITTED batches and goes on once a retried commit is accepted", async () => {
    const { calls, handle, seen } = recorder();
    const worker = batchLoop({ handle, maxSize: 3, maxUncommitted: 2 });
    // The group's coordinator is gone for a long stretch: every commit is refused, however often it is tried.
    worker.consumer.refuseCommits = Number.MAX_SAFE_INTEGER;
    worker.consumer.push(...range(0, 0, 30));
    await until("commits refused again and again", () => worker.consumer.refused >= 20);
    assert.equal(calls.length, 2, "no batch starts past the bound while its predecessors are uncommitted");
    assert.equal(worker.consumer.committedOffset(0), undefined);
    // The coordinator is back: the retried commit goes through and the loop carries on.
    worker.consumer.refuseCommits = 0;
    await until("every record committed", () => worker.consumer.committedOffset(0) === 30);
    await worker.stop();
    assert.deepEqual(
      seen(),
      Array.from({ length: 30 }, (_, i) => i),
      "each record processed once",
    );
  });

  it("keeps polling, its partitions paused, while a batch waits for room: the member stays in its group", async () => {
    const { calls, handle, seen } = recorder();
    const worker = batchLoop({ handle, maxSize: 3, maxUncommitted: 1 });
    worker.consumer.refuseCommits = Number.MAX_SAFE_INTEGER;
    worker.consumer.push(...range(0, 0, 30));
    await until("polls made with the partitions paused", () => worker.consumer.pausedPolls >= 10);
    const left = worker.consumer.waiting;
    await until("more of them", () => worker.consumer.pausedPolls >= 20);
    assert.equal(worker.consumer.waiting, left, "no record taken while paused");
    assert.equal(calls.length, 1, "and no batch started past the bound");
    worker.consumer.refuseCommits = 0;
    await until("every record committed", () => worker.consumer.committedOffset(0) === 30);
    assert.equal(worker.consumer.paused, false, "fetching resumed");
    await worker.stop();
    assert.deepEqual(
      seen(),
      Array.from({ length: 30 }, (_, i) => i),
      "each record processed once",
    );
  });

  it("forgets a refused commit whose partitions were lost, and takes new batches again", async () => {
    const { calls, handle } = recorder();
    const worker = batchLoop({ handle, maxSize: 3, maxUncommitted: 1 });
    worker.consumer.refuseCommits = Number.MAX_SAFE_INTEGER;
    worker.consumer.push(...range(0, 0, 3));
    await until("the commit is refused", () => worker.consumer.refused >= 2);
    // The session expired meanwhile: partition 0 went to another member, which redoes the batch.
    await worker.consumer.revoke([0], true);
    worker.consumer.refuseCommits = 0;
    worker.consumer.push(...range(1, 0, 3));
    await until("partition 1's batch committed", () => worker.consumer.committedOffset(1) === 3);
    await worker.stop();
    assert.equal(worker.consumer.committedOffset(0), undefined);
    assert.deepEqual(calls, [
      [0, 1, 2],
      [0, 1, 2],
    ]);
  });

  it("retries a refused commit once more when stopping", async () => {
    const { handle } = recorder();
    const worker = batchLoop({ handle, maxSize: 3 });
    worker.consumer.refuseCommits = 1;
    worker.consumer.push(...range(0, 0, 3));
    await until("the commit is refused", () => worker.consumer.refused === 1);
    await worker.stop();
    assert.equal(worker.consumer.committedOffset(0), 3);
  });

  it("sends poison records to the dead letters, hands the rest over, and commits past all of them", async () => {
    const { calls, handle } = recorder();
    const worker = batchLoop({ handle, maxSize: 5 });
    worker.consumer.push(
      message(0, 0, 0n),
      message(0, 1, Buffer.alloc(3)),
      message(0, 2, 2n),
      message(0, 3, null),
      message(0, 4, 4n),
    );
    await until("the batch is committed", () => worker.consumer.committedOffset(0) === 5);
    await worker.stop();
    assert.deepEqual(calls, [[0, 2, 4]]);
    assert.deepEqual(worker.deadLetters.summary, ["1:SERDE_WRONG_LENGTH", "3:SERDE_MISSING_VALUE"]);
  });

  it("retries a failing batch whole, then record by record, and dead-letters only the record that keeps failing", async () => {
    const calls: number[][] = [];
    const worker = batchLoop({
      maxSize: 4,
      retries: 2,
      handle: (records) => {
        calls.push(valuesOf(records));
        return records.some((record) => record.value === 2n)
          ? Promise.reject(new Error("value 2 is rejected"))
          : Promise.resolve();
      },
    });
    worker.consumer.push(...range(0, 0, 4));
    await until("the batch is committed", () => worker.consumer.committedOffset(0) === 4);
    await worker.stop();
    assert.deepEqual(calls, [[0, 1, 2, 3], [0, 1, 2, 3], [0, 1, 2, 3], [0], [1], [2], [3]]);
    assert.equal(worker.eventsNamed("processing.retry").length, 2);
    assert.equal(worker.eventsNamed("batch.isolating_failure").length, 1);
    // Filed under the code a record failing alone gets, not under the thrown class's name ("Error").
    assert.deepEqual(worker.deadLetters.summary, ["2:PROCESSING_FAILED"]);
    assert.equal(await counted(worker.metrics.messagesProcessed), 3);
  });

  it("re-runs only the records a handler reports as failed, and dead-letters unrecoverable ones at once", async () => {
    const calls: number[][] = [];
    const worker = batchLoop({
      maxSize: 5,
      retries: 3,
      handle: (records) => {
        calls.push(valuesOf(records));
        const failures: RecordFailure<bigint>[] = [];
        for (const record of records) {
          // 1 fails once then succeeds; 3 is invalid for good.
          if (record.value === 1n && calls.length === 1) failures.push({ record, error: new Error("busy") });
          if (record.value === 3n)
            failures.push({ record, error: new UnrecoverableError("negative amount", { code: "INVALID" }) });
        }
        return Promise.resolve(failures);
      },
    });
    worker.consumer.push(...range(0, 0, 5));
    await until("the batch is committed", () => worker.consumer.committedOffset(0) === 5);
    await worker.stop();
    assert.deepEqual(calls, [[0, 1, 2, 3, 4], [1]], "the records that succeeded are not run again");
    assert.deepEqual(worker.deadLetters.summary, ["3:INVALID"]);
    assert.equal(await counted(worker.metrics.messagesProcessed), 4);
  });

  it("dead-letters a record reported as failed on every retry, once the retries are used up", async () => {
    const calls: number[][] = [];
    const worker = batchLoop({
      maxSize: 3,
      retries: 2,
      handle: (records) => {
        calls.push(valuesOf(records));
        const bad = records.find((record) => record.value === 0n);
        return Promise.resolve(bad === undefined ? [] : [{ record: bad, error: new Error("still busy") }]);
      },
    });
    worker.consumer.push(...range(0, 0, 3));
    await until("the batch is committed", () => worker.consumer.committedOffset(0) === 3);
    await worker.stop();
    assert.deepEqual(calls, [[0, 1, 2], [0], [0]]);
    assert.deepEqual(worker.deadLetters.summary, ["0:PROCESSING_FAILED"]);
    assert.match(worker.deadLetters.letters[0]?.cause.message ?? "", /after 3 attempts: still busy/);
  });

  it("splits a batch at once, without retrying it whole, when the handler throws an UnrecoverableError", async () => {
    const calls: number[][] = [];
    const worker = batchLoop({
      maxSize: 3,
      handle: (records) => {
        calls.push(valuesOf(records));
        return records.some((record) => record.value === 1n)
          ? Promise.reject(new UnrecoverableError("cannot be processed"))
          : Promise.resolve();
      },
    });
    worker.consumer.push(...range(0, 0, 3));
    await until("the batch is committed", () => worker.consumer.committedOffset(0) === 3);
    await worker.stop();
    assert.deepEqual(calls, [[0, 1, 2], [0], [1], [2]]);
    assert.deepEqual(worker.deadLetters.summary, ["1:UNRECOVERABLE"]);
    assert.equal(worker.eventsNamed("processing.retry").length, 0);
  });

  it("never dead-letters a failure of the infrastructure: the batch stays uncommitted and the loop fails", async () => {
    let calls = 0;
    const worker = batchLoop({
      maxSize: 2,
      retries: 1,
      handle: () => {
        calls += 1;
        return Promise.reject(new FleetError("DELIVERY_FAILED", "delivery timed out", { canRetry: true }));
      },
    });
    worker.consumer.push(...range(0, 0, 2));
    await assert.rejects(worker.running, /processing failed after 2 attempts: delivery timed out/);
    assert.equal(calls, 2);
    assert.deepEqual(worker.deadLetters.letters, []);
    assert.equal(worker.consumer.committedOffset(0), undefined);
  });

  it("keeps each partition's records in offset order for the handler across a retry, replaying the later batches under way", async () => {
    const seen = new Map<number, number[]>();
    const laterCalled = gate();
    let failedOnce = false;
    const handle: Handle<bigint> = async (records) => {
      for (const record of records) {
        const offsets = seen.get(record.partition) ?? [];
        offsets.push(record.offset);
        seen.set(record.partition, offsets);
      }
      if (records.some((record) => record.partition === 0 && record.offset >= 10)) laterCalled.open();
      if (!failedOnce && records.some((record) => record.partition === 0 && record.offset === 5)) {
        // Fails only once a later batch of its partition is in the handler: the pipelined case.
        await laterCalled.promise;
        failedOnce = true;
        throw new Error("busy, try again");
      }
      // Results being acknowledged: the next batches start meanwhile.
      await sleep(2);
    };
    const worker = batchLoop({ handle, maxSize: 5, maxUncommitted: 4, retries: 2 });
    worker.consumer.push(...range(0, 0, 30), ...range(1, 100, 110));
    await until(
      "every record committed",
      () => worker.consumer.committedOffset(0) === 30 && worker.consumer.committedOffset(1) === 110,
    );
    await worker.stop();

    assert.equal(failedOnce, true);
    for (const [partition, offsets] of seen) {
      // Each record comes right after the one before it, or the sequence goes back (a retry, a replay): it never
      // skips ahead of a record not handled yet.
      for (let i = 1; i < offsets.length; i += 1) {
        const [before, now] = [offsets[i - 1] as number, offsets[i] as number];
        assert.ok(
          now === before + 1 || now <= before,
          `partition ${partition}: ${before} then ${now} in ${offsets.join(",")}`,
        );
      }
    }
    const zero = seen.get(0) ?? [];
    const retried = zero.lastIndexOf(5);
    assert.deepEqual(
      zero.slice(retried),
      Array.from({ length: 25 }, (_, i) => 5 + i),
      "from the retry on, the rest of the partition once, in order",
    );
    assert.ok(
      worker.eventsNamed("batch.replayed").length >= 1,
      "a later batch was under way and was replayed",
    );
    assert.equal(await counted(worker.metrics.messagesProcessed), 40, "each record counted once");
  });

  it("does not commit a later batch past a failed one", async () => {
    const worker = batchLoop({
      maxSize: 2,
      maxUncommitted: 4,
      retries: 0,
      handle: (records: readonly WorkerRecord<bigint>[]) =>
        records[0]?.value === 0n
          ? new Promise((_, reject) =>
              setTimeout(() => reject(new FleetError("X", "down", { canRetry: true })), 30),
            )
          : Promise.resolve(),
    });
    worker.consumer.push(...range(0, 0, 6));
    await assert.rejects(worker.running, /down/);
    assert.equal(
      worker.consumer.committedOffset(0),
      undefined,
      "batches after the failed one stay uncommitted",
    );
  });

  describe("exactly-once", () => {
    it("writes each batch and its offsets in one transaction", async () => {
      const { calls, handle } = recorder();
      const transactions = new FakeTransactions();
      const worker = batchLoop({ handle, maxSize: 3, transactions });
      worker.consumer.push(...range(0, 0, 3), ...range(1, 10, 13));
      await until("both transactions", () => transactions.committed.length === 2);
      await worker.stop();
      assert.deepEqual(calls, [
        [0, 1, 2],
        [10, 11, 12],
      ]);
      assert.deepEqual(transactions.steps, ["begin", "commit", "begin", "commit"]);
      assert.deepEqual(transactions.committed[1], [{ topic: "input", partition: 1, offset: 13 }]);
      assert.equal(worker.consumer.commits.length, 0, "no commit outside the transactions");
    });

    it("redoes a batch whose transaction a rebalance refused, and carries on", async () => {
      const { calls, handle } = recorder();
      const transactions = new FakeTransactions();
      // What librdkafka reports when the group's generation changed under an open transaction.
      transactions.refusals.push(
        Object.assign(new Error("Specified group generation id is not valid"), {
          code: 22,
          isTxnRequiresAbort: true,
        }),
      );
      const worker = batchLoop({ handle, maxSize: 3, transactions });
      worker.consumer.push(...range(0, 0, 3));
      await until("the batch committed", () => transactions.committed.length === 1);
      await worker.stop();
      assert.deepEqual(transactions.steps, ["begin", "commit", "abort", "begin", "commit"]);
      assert.deepEqual(calls, [
        [0, 1, 2],
        [0, 1, 2],
      ]);
      assert.deepEqual(transactions.committed[0], [{ topic: "input", partition: 0, offset: 3 }]);
      assert.equal(worker.eventsNamed("transaction.redone").length, 1);
    });

    it("redoes a batch whose transaction failed under the handler (its results purged by librdkafka), and carries on", async () => {
      const calls: number[][] = [];
      const transactions = new FakeTransactions();
      const worker = batchLoop({
        maxSize: 3,
        transactions,
        // What the fleet's handler meets when another message of its transaction (a dead letter refused as too
        // large) fails it: librdkafka purges every message queued, the handler's results among them.
        handle: (records) => {
          calls.push(valuesOf(records));
          return calls.length === 1
            ? Promise.reject(
                new DeliveryError("results", {
                  code: ErrorCodes.ERR__PURGE_QUEUE,
                  message: "Local: Purged in queue",
                }),
              )
            : Promise.resolve();
        },
      });
      worker.consumer.push(...range(0, 0, 3));
      await until("the batch committed", () => transactions.committed.length === 1);
      await worker.stop();
      assert.deepEqual(transactions.steps, ["begin", "abort", "begin", "commit"]);
      assert.deepEqual(calls, [
        [0, 1, 2],
        [0, 1, 2],
      ]);
      assert.deepEqual(transactions.committed[0], [{ topic: "input", partition: 0, offset: 3 }]);
      assert.deepEqual(worker.deadLetters.summary, [], "nothing set aside: the records were never at fault");
    });

    it("fails the loop when a transaction's commit never answers, instead of holding its partitions for ever", async () => {
      const { handle } = recorder();
      const transactions = new FakeTransactions();
      // What librdkafka 2.15's sendOffsetsToTransaction did after the group's coordinator went away: nothing.
      transactions.commit = () => {
        transactions.steps.push("commit");
        return new Promise<void>(() => undefined);
      };
      const worker = batchLoop({ handle, maxSize: 3, transactions, commitDeadlineMs: 50 });
      worker.consumer.push(...range(0, 0, 3));
      await assert.rejects(worker.running, /transaction failed \(commit\): no answer .* stuck/);
      assert.deepEqual(
        transactions.steps,
        ["begin", "commit"],
        "no abort: the stuck call holds the producer",
      );
    });

    it("fails the loop on a transaction error that an abort does not clear", async () => {
      const { handle } = recorder();
      const transactions = new FakeTransactions();
      transactions.refusals.push(Object.assign(new Error("producer fenced"), { code: 90, isFatal: true }));
      const worker = batchLoop({ handle, maxSize: 3, transactions });
      worker.consumer.push(...range(0, 0, 3));
      await assert.rejects(worker.running, /transaction failed \(commit\): producer fenced/);
      assert.deepEqual(transactions.steps, ["begin", "commit", "abort"]);
    });

    it("isolates a record the handler rejects: the others commit, it is dead-lettered, each in its own transaction", async () => {
      const calls: number[][] = [];
      const transactions = new FakeTransactions();
      const worker = batchLoop({
        maxSize: 3,
        retries: 3,
        transactions,
        handle: (records) => {
          calls.push(valuesOf(records));
          return valuesOf(records).includes(1) ? Promise.reject(new Error("boom")) : Promise.resolve();
        },
      });
      worker.consumer.push(...range(0, 0, 3), ...range(0, 3, 4));
      await until("the next batch committed", () =>
        transactions.committed.some((offsets) => offsets[0]?.offset === 4),
      );
      await worker.stop();
      // No retries inside a transaction: the batch once, then each record alone.
      assert.deepEqual(calls, [[0, 1, 2], [0], [1], [2], [3]]);
      assert.deepEqual(worker.deadLetters.summary, ["1:PROCESSING_FAILED"]);
      assert.deepEqual(
        transactions.committed.map((offsets) => offsets.map(({ offset }) => offset)),
        [[1], [2], [3], [4]],
        "record 0, record 1's dead letter, record 2, then the next batch",
      );
      assert.deepEqual(transactions.steps.slice(0, 8), [
        "begin",
        "abort",
        "begin",
        "commit",
        "begin",
        "abort",
        "begin",
        "commit",
      ]);
    });
  });
});
