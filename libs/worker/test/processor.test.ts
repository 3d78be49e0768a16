import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { PackedRecord } from "@kafka-fleet/kafka";
import { INT64_DECODE_FAILURES, SerdeErrorCode, serializeInt } from "@kafka-fleet/serde";
import {
  DESERIALIZATION_FAILED,
  int64Values,
  type Deserializer,
  type WorkerRecord,
} from "@kafka-fleet/worker";
import { PROCESSING_INTERRUPTED } from "@kafka-fleet/worker/internal";

import { message, workerParts } from "./support/harness.ts";

interface Order {
  readonly id: string;
}

const json = (value: Buffer | null): Order => JSON.parse(value?.toString("utf8") ?? "null") as Order;

/** Worker parts whose handler keeps every record it is handed, in order. */
function recording<T>(deserialize: Deserializer<T>) {
  const seen: WorkerRecord<T>[] = [];
  const parts = workerParts<T>({
    deserialize,
    handle: (records) => {
      seen.push(...records);
      return Promise.resolve();
    },
  });
  return { parts, seen };
}

describe("RecordProcessor", () => {
  it("hands the handler key, decoded value, headers, topic, partition, offset and timestamp", async () => {
    const { parts, seen } = recording(json);
    const headers = [{ "trace-id": Buffer.from("t1") }];
    const processed = await parts.processor.process([
      { ...message(2, 7, Buffer.from('{"id":"o-1"}'), "customer-9"), headers, timestamp: 1_700_000_000_000 },
    ]);
    assert.equal(processed, 1);
    assert.deepEqual(seen, [
      {
        key: Buffer.from("customer-9"),
        value: { id: "o-1" },
        headers,
        topic: "input",
        partition: 2,
        offset: 7,
        timestamp: 1_700_000_000_000,
      },
    ]);
  });

  it("reads a packed batch's values in place (the deserializer's readAt), and dead-letters one with its bytes copied out", async () => {
    // A consumed batch's block as the binding packs it: values one after another, here after 3 other bytes.
    const pieces = [Buffer.from("xyz"), serializeInt(41n), Buffer.from("short"), serializeInt(-7n)];
    // Buffer.alloc: a block of its own, as the binding's is (not a slice of Node's shared pool).
    const block = Buffer.alloc(24);
    Buffer.concat(pieces).copy(block);
    const packed = [
      new PackedRecord("input", 1, 10, 1_700_000_000_001, null, block, 3, 8),
      new PackedRecord("input", 1, 11, 1_700_000_000_002, Buffer.from("k"), block, 11, 5),
      new PackedRecord("input", 1, 12, 1_700_000_000_003, null, block, 16, 8),
      new PackedRecord("input", 1, 13, 1_700_000_000_004, null, block, 24, -1),
    ];
    let readInPlace = 0;
    const counted: Deserializer<bigint> = Object.assign(
      (value: Buffer | null) => int64Values(value, packed[0]!),
      {
        failureCodes: INT64_DECODE_FAILURES,
        readAt: (bytes: Buffer, start: number, length: number) => {
          readInPlace++;
          return int64Values.readAt!(bytes, start, length);
        },
      },
    );
    const { parts, seen } = recording(counted);
    assert.equal(await parts.processor.process(packed), 2);
    assert.equal(readInPlace, 4, "every value read in place");
    assert.deepEqual(
      seen.map(({ value, offset, timestamp, key, headers }) => ({ value, offset, timestamp, key, headers })),
      [
        { value: 41n, offset: 10, timestamp: 1_700_000_000_001, key: null, headers: [] },
        { value: -7n, offset: 12, timestamp: 1_700_000_000_003, key: null, headers: [] },
      ],
    );
    assert.deepEqual(parts.deadLetters.summary, [
      `11:${SerdeErrorCode.wrongLength}`,
      `13:${SerdeErrorCode.missingValue}`,
    ]);
    const [short, tombstone] = parts.deadLetters.letters;
    assert.deepEqual(short?.message.value, Buffer.from("short"), "the original bytes");
    assert.notEqual(short?.message.value?.buffer, block.buffer, "copied out of the block");
    assert.equal(tombstone?.message.value, null);
  });

  it("hands a deserializer without readAt a packed record's value as a Buffer", async () => {
    const block = Buffer.from('..{"id":"p-1"}');
    const { parts, seen } = recording(json);
    assert.equal(await parts.processor.process([new PackedRecord("input", 0, 0, 1, null, block, 2, 12)]), 1);
    assert.deepEqual(
      seen.map((record) => record.value.id),
      ["p-1"],
    );
  });

  it("dead-letters what a deserializer of one's own cannot read, under one code, with the parser's message", async () => {
    const { parts, seen } = recording(json);
    const processed = await parts.processor.process([
      message(0, 0, Buffer.from('{"id":"a"}')),
      message(0, 1, Buffer.from("{not json")),
      message(0, 2, Buffer.from('{"id":"c"}')),
    ]);
    assert.equal(processed, 2);
    assert.deepEqual(
      seen.map((record) => record.value.id),
      ["a", "c"],
    );
    assert.deepEqual(parts.deadLetters.summary, [`1:${DESERIALIZATION_FAILED}`]);
    assert.match(parts.deadLetters.letters[0]?.cause.message ?? "", /JSON/);
    assert.equal(parts.deadLetters.letters[0]?.message.value?.toString(), "{not json", "the original bytes");
  });

  it("observes a dead letter that fails while the handler is still at work: the failure is thrown, never unhandled", async () => {
    // Under exactly-once a dead letter refused as too large fails the transaction; its refusal comes back while
    // the handler still waits for its results, which librdkafka then purges.
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      const parts = workerParts({
        retries: 0,
        handle: async () => {
          // Long enough for Node to look for unhandled rejections (after the microtasks of the refusal).
          await new Promise((resolve) => setImmediate(resolve));
          throw new Error("results purged");
        },
      });
      parts.deadLetters.send = () => Promise.reject(new Error("dead letter refused"));
      await assert.rejects(
        parts.processor.process([message(0, 0, 0n), message(0, 1, Buffer.alloc(7)), message(0, 2, 2n)], {
          inTransaction: true,
        }),
        /results purged/,
      );
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(unhandled, []);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });

  it("refuses a failure reported for a record the handler was not given", async () => {
    const stranger: WorkerRecord<bigint> = {
      key: null,
      value: 9n,
      headers: [],
      topic: "input",
      partition: 0,
      offset: 99,
      timestamp: 0,
    };
    const parts = workerParts({
      handle: () => Promise.resolve([{ record: stranger, error: new Error("x") }]),
      retries: 0,
    });
    await assert.rejects(parts.processor.process([message(0, 0, 0n)]), /not given/);
  });

  it("hands the context to the handler: its producer, logger, signal and config", async () => {
    const parts = workerParts({
      handle: async (records, context) => {
        await context.producer.send({ topic: context.config.resultsTopic ?? "", value: Buffer.from("done") });
        assert.equal(context.signal.aborted, false);
      },
    });
    await parts.processor.process([message(0, 0, 1n)]);
    assert.deepEqual(
      parts.producer.sent.map((sent) => [sent.topic, sent.value?.toString()]),
      [["results", "done"]],
    );
  });

  it("leaves records that fail during a stop uncommitted (rejects), instead of dead-lettering them", async () => {
    let calls = 0;
    const parts = workerParts({
      retries: 5,
      handle: () => {
        calls += 1;
        parts.stop.abort();
        return Promise.reject(new Error("shutting down"));
      },
    });
    await assert.rejects(
      parts.processor.process([message(0, 0, 0n)]),
      (error: { code?: string }) => error.code === PROCESSING_INTERRUPTED,
    );
    assert.equal(calls, 1, "no retries once stopping");
    assert.deepEqual(parts.deadLetters.letters, []);
  });
});
