import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";

import type { Ordering } from "@kafka-fleet/processing";
import { FleetError } from "@kafka-fleet/service";
import { UnrecoverableError, type Handle } from "@kafka-fleet/worker";
import { SingleLoop } from "@kafka-fleet/worker/internal";

import { FakeConsumer } from "./support/fake-consumer.ts";
import { counted, gate, message, started, until, workerParts } from "./support/harness.ts";

/** A single loop on a fake consumer of partitions 0 and 1, running until the test stops it. */
function singleLoop(options: {
  handle: Handle<bigint>;
  ordering?: Ordering;
  maxInFlight?: number;
  retries?: number;
}) {
  const parts = workerParts({ handle: options.handle, retries: options.retries });
  const consumer = new FakeConsumer("input", [0, 1]);
  const loop = new SingleLoop({
    consumer,
    processor: parts.processor,
    signal: parts.stop.signal,
    maxInFlight: options.maxInFlight ?? 10,
    maxQueued: 100,
    ordering: options.ordering ?? "key",
    logger: parts.logger,
    metrics: parts.metrics,
    health: parts.health,
    keepAliveAfterMs: 20,
  });
  return { ...parts, consumer, ...started(loop, consumer, parts.stop) };
}

/**
 * A handler that holds each record until the test releases it by "partition:offset", and notes which records
 * started and finished, in order.
 */
function heldHandler() {
  const gates = new Map<string, ReturnType<typeof gate>>();
  const gateOf = (position: string) => {
    let found = gates.get(position);
    if (found === undefined) gates.set(position, (found = gate()));
    return found;
  };
  const started: string[] = [];
  const handle: Handle<bigint> = async ([record]) => {
    if (record === undefined) throw new Error("single mode hands over one record per call");
    const position = `${record.partition}:${record.offset}`;
    started.push(position);
    await gateOf(position).promise;
  };
  return { handle, started, release: (position: string) => gateOf(position).open() };
}

const stored = (consumer: FakeConsumer, partition: number) => consumer.stored.get(`input/${partition}`);

describe("SingleLoop", () => {
  it("runs the records of one key one after another, other keys at once, and stores no offset past a pending one", async () => {
    const held = heldHandler();
    const worker = singleLoop({ handle: held.handle, ordering: "key" });
    worker.consumer.push(message(0, 0, 0n, "a"), message(0, 1, 1n, "a"), message(0, 2, 2n, "b"));
    await until("a@0 and b@2 running", () => held.started.length === 2);
    assert.deepEqual(held.started, ["0:0", "0:2"], "a@1 waits for a@0");

    held.release("0:2");
    await sleep(20);
    assert.equal(stored(worker.consumer, 0), undefined, "b@2 is done, but a@0 before it is not");

    held.release("0:0");
    await until("a@1 running", () => held.started.length === 3);
    assert.equal(held.started[2], "0:1");
    assert.equal(stored(worker.consumer, 0), 1, "up to the pending a@1");

    held.release("0:1");
    await until("everything stored", () => stored(worker.consumer, 0) === 3);
    await worker.stop();
    assert.equal(worker.consumer.committedOffset(0), 3, "stopping commits what is stored");
  });

  it("full, keeps polling with its partitions paused, taking no records, until a record completes", async () => {
    const held = heldHandler();
    const worker = singleLoop({ handle: held.handle, maxInFlight: 1 });
    worker.consumer.push(message(0, 0, 0n, "a"));
    await until("a@0 running", () => held.started.length === 1);
    worker.consumer.push(message(0, 1, 1n, "b"));
    await until("polls made with the partitions paused", () => worker.consumer.pausedPolls >= 10);
    assert.equal(worker.consumer.waiting, 1, "b@1 not taken while paused");
    held.release("0:0");
    await until("b@1 running", () => held.started.length === 2);
    assert.equal(worker.consumer.paused, false, "fetching resumed");
    held.release("0:1");
    await until("everything stored", () => stored(worker.consumer, 0) === 2);
    await worker.stop();
  });

  it("runs one record at a time per partition under partition ordering, partitions at once", async () => {
    const held = heldHandler();
    const worker = singleLoop({ handle: held.handle, ordering: "partition" });
    worker.consumer.push(message(0, 0, 0n, "a"), message(0, 1, 1n, "b"), message(1, 0, 9n, "c"));
    await until("one record per partition running", () => held.started.length === 2);
    assert.deepEqual(held.started, ["0:0", "1:0"]);
    held.release("0:0");
    held.release("1:0");
    await until("the second record of partition 0", () => held.started.length === 3);
    held.release("0:1");
    await worker.stop();
    assert.equal(worker.consumer.committedOffset(0), 2);
    assert.equal(worker.consumer.committedOffset(1), 1);
  });

  it("stopped mid-flight, finishes the records running, commits them, and starts none of the queued ones", async () => {
    const held = heldHandler();
    const worker = singleLoop({ handle: held.handle });
    worker.consumer.push(message(0, 0, 0n, "a"), message(0, 1, 1n, "a"));
    await until("a@0 running", () => held.started.length === 1);
    let returned = false;
    const stopping = worker.stop().then(() => (returned = true));
    await sleep(20);
    assert.equal(returned, false, "run waits for the record in flight");
    held.release("0:0");
    await stopping;
    assert.deepEqual(held.started, ["0:0"], "a@1 was queued and is left for the next reader");
    assert.equal(worker.consumer.committedOffset(0), 1);
  });

  it("on a revocation, drops the partition's queued records, lets its records in flight finish, then commits", async () => {
    const held = heldHandler();
    const worker = singleLoop({ handle: held.handle });
    worker.consumer.push(message(0, 0, 0n, "a"), message(0, 1, 1n, "a"), message(1, 0, 5n, "z"));
    await until("a@0 and z running", () => held.started.length === 2);
    let revoked = false;
    const revoking = worker.consumer.revoke([0]).then(() => (revoked = true));
    await sleep(20);
    assert.equal(revoked, false, "the revocation waits for a@0");
    held.release("0:0");
    await revoking;
    assert.equal(worker.consumer.committedOffset(0), 1, "a@0 committed on the way out");
    const [event] = worker.eventsNamed("single_consumer.revoked");
    assert.equal(event?.dropped, 1);
    held.release("1:0");
    await worker.stop();
    assert.deepEqual(held.started, ["0:0", "1:0"], "a@1 belongs to the next owner");
  });

  it("dead-letters a poison record and stores its offset like any other", async () => {
    const values: bigint[] = [];
    const worker = singleLoop({
      ordering: "partition",
      handle: ([record]) => {
        if (record !== undefined) values.push(record.value);
        return Promise.resolve();
      },
    });
    worker.consumer.push(message(0, 0, 0n), message(0, 1, Buffer.from("no")), message(0, 2, 2n));
    await until("all three settled", () => stored(worker.consumer, 0) === 3);
    await worker.stop();
    assert.deepEqual(values, [0n, 2n]);
    assert.deepEqual(worker.deadLetters.summary, ["1:SERDE_WRONG_LENGTH"]);
    assert.equal(await counted(worker.metrics.messagesProcessed), 2);
  });

  it("retries a failing record, then dead-letters it; its key's next record goes on", async () => {
    const calls: number[] = [];
    const worker = singleLoop({
      retries: 2,
      handle: ([record]) => {
        calls.push(Number(record?.offset));
        return record?.offset === 0 ? Promise.reject(new Error("rejected")) : Promise.resolve();
      },
    });
    worker.consumer.push(message(0, 0, 0n, "k"), message(0, 1, 1n, "k"));
    await until("both settled", () => stored(worker.consumer, 0) === 2);
    await worker.stop();
    assert.deepEqual(calls, [0, 0, 0, 1]);
    assert.deepEqual(worker.deadLetters.summary, ["0:PROCESSING_FAILED"]);
    assert.equal(worker.eventsNamed("processing.retry").length, 2);
  });

  it("dead-letters a record whose handler throws an UnrecoverableError at once, without retrying", async () => {
    let calls = 0;
    const worker = singleLoop({
      retries: 5,
      handle: () => {
        calls += 1;
        return Promise.reject(new UnrecoverableError("schema mismatch", { code: "SCHEMA" }));
      },
    });
    worker.consumer.push(message(0, 0, 0n));
    await until("settled", () => stored(worker.consumer, 0) === 1);
    await worker.stop();
    assert.equal(calls, 1);
    assert.deepEqual(worker.deadLetters.summary, ["0:SCHEMA"]);
    assert.equal(worker.eventsNamed("processing.retry").length, 0);
  });

  it("stops on a failure of the infrastructure with the record unstored and its key's next record not started", async () => {
    const offsets: number[] = [];
    const worker = singleLoop({
      retries: 1,
      handle: ([record]) => {
        offsets.push(Number(record?.offset));
        return Promise.reject(new FleetError("DELIVERY_FAILED", "broker down", { canRetry: true }));
      },
    });
    worker.consumer.push(message(0, 0, 0n, "k"), message(0, 1, 1n, "k"));
    await assert.rejects(worker.running, /broker down/);
    assert.deepEqual(offsets, [0, 0]);
    assert.equal(stored(worker.consumer, 0), undefined);
    assert.deepEqual(worker.deadLetters.letters, []);
  });
});
