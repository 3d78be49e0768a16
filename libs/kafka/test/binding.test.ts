// The Kafka client's addon as deploy/binding patches it (property names made once, one topic string per batch; a
// kept topic handle and no empty headers list for produce() by name): that the installed addon is the patched one,
// that the objects it makes for consumed records, end-of-partition events and delivery reports are exactly what
// the unpatched addon makes (same properties in the same order, same values), and that records produced with and
// without headers, to topics that alternate, over two connections of one producer, or in runs (produceRun), arrive
// as they were sent. On librdkafka's mock cluster, inside this process: no broker needed.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";

import {
  KafkaConsumer,
  Producer,
  toError,
  type KafkaConsumerClient,
  type LibrdKafkaError,
  type Message,
  type Metadata,
  type ProducerClient,
  type ProducerGlobalConfig,
} from "../src/rdkafka.ts";
import { PackedRecord, canConsumePacked, unpackRecords, type PackedBatch } from "../src/packed-records.ts";

const CHECK = fileURLToPath(new URL("../../../deploy/binding/check.js", import.meta.url));
const TIMESTAMP = 1_700_000_000_123;

/** What is produced: two topics of one partition each, keys, tombstones and headers mixed. */
const RECORDS = [
  {
    topic: "binding-a",
    key: "k0",
    value: "value-0",
    headers: [{ h1: Buffer.from("x") }, { h2: Buffer.from("yy") }],
  },
  { topic: "binding-a", key: null, value: "v1", headers: undefined },
  { topic: "binding-b", key: "k2", value: null, headers: undefined },
  { topic: "binding-b", key: "k3", value: "a longer value, 3", headers: [{ only: Buffer.from("") }] },
  { topic: "binding-a", key: "k4", value: "", headers: undefined },
  // No headers in these two topics: their batches come packed (record-packing.patch). A value above 64 bytes
  // is copied out by Buffer.copy, the shorter ones byte by byte.
  { topic: "binding-e", key: "k5", value: "v5", headers: undefined },
  { topic: "binding-e", key: null, value: null, headers: undefined },
  { topic: "binding-f", key: "", value: "", headers: undefined },
  {
    topic: "binding-f",
    key: "k8",
    value: "a value longer than sixty-four bytes, ".repeat(4),
    headers: undefined,
  },
  { topic: "binding-e", key: "k9", value: "v9", headers: undefined },
] as const;

/** The keys the unpatched addon sets, in its order (common.cc, Conversion::Message::ToV8Object). */
function expectedKeys(record: (typeof RECORDS)[number], leaderEpoch: boolean): string[] {
  return [
    "value",
    ...(record.headers ? ["headers"] : []),
    "size",
    "key",
    "topic",
    "offset",
    "partition",
    "timestamp",
    ...(leaderEpoch ? ["leaderEpoch"] : []),
  ];
}

function connect<T extends { connect(o: object, cb: (e: LibrdKafkaError | null) => void): unknown }>(
  client: T,
): Promise<T> {
  return new Promise((resolve, reject) =>
    client.connect({}, (error) => (error ? reject(toError(error)) : resolve(client))),
  );
}

/** Waits for everything `producer` queued to be delivered (or fail). */
function flush(producer: ProducerClient): Promise<void> {
  return new Promise((resolve, reject) =>
    producer.flush(10_000, (error) => (error ? reject(toError(error)) : resolve())),
  );
}

/** produceRun(), which produce-run.patch adds (not in the client's type definitions), bound to `producer`. */
function produceRunOf(producer: ProducerClient) {
  return (
    producer as unknown as {
      produceRun(
        topic: string,
        partition: number | null,
        values: Buffer,
        valueSize: number,
        count: number,
      ): number;
    }
  ).produceRun.bind(producer);
}

/** A consumed record against what was produced: the unpatched addon's keys, order and values. */
function assertRecord(
  message: Message,
  record: (typeof RECORDS)[number],
  at: { topic: string; offset: number; timestamp: number },
): void {
  const where = `${at.topic} ${at.offset}`;
  const leaderEpoch = "leaderEpoch" in message;
  assert.deepEqual(Object.keys(message), expectedKeys(record, leaderEpoch), where);
  if (leaderEpoch) assert.equal(typeof (message as { leaderEpoch?: unknown }).leaderEpoch, "number");
  if (record.value === null) assert.equal(message.value, null, where);
  else {
    assert.ok(Buffer.isBuffer(message.value), where);
    assert.deepEqual(message.value, Buffer.from(record.value), where);
    // A buffer of its own, as before (no view on a shared block).
    assert.equal(message.value.byteOffset, 0, where);
    assert.equal(message.value.buffer.byteLength, Buffer.byteLength(record.value), where);
  }
  assert.equal(message.size, record.value === null ? 0 : Buffer.byteLength(record.value), where);
  if (record.key === null) assert.equal(message.key, null, where);
  else {
    assert.ok(Buffer.isBuffer(message.key), where);
    assert.deepEqual(message.key, Buffer.from(record.key), where);
    assert.equal((message.key as Buffer).byteOffset, 0, where);
  }
  assert.equal(message.topic, at.topic, where);
  assert.equal(message.offset, at.offset, where);
  assert.equal(message.partition, 0, where);
  assert.equal(message.timestamp, at.timestamp, where);
  if (record.headers) assert.deepEqual(message.headers, record.headers, where);
  else assert.equal(message.headers, undefined, where);
}

/**
 * Reads partition 0 of `topics` from the start until `count` records and every partition's end are in, and
 * counts the consume calls whose records the addon handed over packed (the native consume's 4th argument).
 */
/**
 * A fresh consumer assigned `topics` from offset 0, which calls `take` until every record and every partition's end
 * are in (the end may come with the next call); returns what each call that brought records handed over.
 */
async function drain<Batch>(
  bootstrap: string,
  topics: readonly string[],
  count: number,
  group: string,
  take: (consumer: KafkaConsumerClient) => Promise<{ batch: Batch; length: number }>,
  setUp: (consumer: KafkaConsumerClient) => void = () => undefined,
): Promise<{ batches: Batch[]; eofs: unknown[] }> {
  const consumer = await connect<KafkaConsumerClient>(
    new KafkaConsumer(
      {
        "bootstrap.servers": bootstrap,
        "group.id": `${group}-${topics.join("-")}`,
        "enable.auto.commit": false,
        "enable.partition.eof": true,
      },
      {},
    ),
  );
  try {
    setUp(consumer);
    const eofs: unknown[] = [];
    consumer.on("partition.eof", (eof) => eofs.push(eof));
    consumer.setDefaultConsumeTimeout(2000);
    consumer.assign(topics.map((topic) => ({ topic, partition: 0, offset: 0 })));
    const batches: Batch[] = [];
    let got = 0;
    for (let call = 0; call < 20 && (got < count || eofs.length < topics.length); call++) {
      const { batch, length } = await take(consumer);
      if (length > 0) batches.push(batch);
      got += length;
    }
    return { batches, eofs };
  } finally {
    consumer.disconnect();
  }
}

/** Through consume(n): the message objects of each call, and how many calls the addon handed over packed. */
async function consumeAll(bootstrap: string, topics: readonly string[], count: number) {
  let packedCalls = 0;
  const countPacked = (consumer: KafkaConsumerClient) => {
    const native = (consumer as unknown as { _client: { consume: (...args: unknown[]) => unknown } })._client;
    const consume = native.consume.bind(native);
    native.consume = (...args: unknown[]) => {
      const callback = args[3] as (...results: unknown[]) => void;
      args[3] = (...results: unknown[]) => {
        if (results[3] !== undefined) packedCalls++;
        callback(...results);
      };
      return consume(...args);
    };
  };
  const drained = await drain(
    bootstrap,
    topics,
    count,
    "binding-test",
    (consumer) =>
      new Promise<{ batch: Message[]; length: number }>((resolve, reject) =>
        consumer.consume(count, (error, messages) =>
          error ? reject(toError(error)) : resolve({ batch: messages, length: messages.length }),
        ),
      ),
    countPacked,
  );
  return { ...drained, packedCalls };
}

/** Through consumePacked: what each call handed over, a packed batch or message objects, and any 'data' events. */
async function consumeAllPacked(bootstrap: string, topics: readonly string[], count: number) {
  let data = 0;
  const drained = await drain(
    bootstrap,
    topics,
    count,
    "binding-packed-test",
    (consumer) => {
      assert.ok(canConsumePacked(consumer), "the binding's consumer has consumePacked");
      return new Promise<{ batch: PackedBatch | Message[]; length: number }>((resolve, reject) =>
        consumer.consumePacked(count, (error, result) => {
          if (error) return reject(toError(error));
          const batch = result!;
          resolve({ batch, length: Array.isArray(batch) ? batch.length : batch.count });
        }),
      );
    },
    (consumer) => consumer.on("data", () => data++),
  );
  return { ...drained, data };
}

describe("the Kafka client's addon (deploy/binding)", () => {
  it("is built with deploy/binding's patch", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [CHECK]);
    assert.match(stdout, /is built with deploy\/binding's patch/);
  });

  describe("on librdkafka's mock cluster", () => {
    let producer: ProducerClient;
    let bootstrap = "";
    const reports: { error: LibrdKafkaError | null; report: Record<string, unknown> }[] = [];

    before(async () => {
      producer = await connect(
        new Producer({
          "test.mock.num.brokers": 1, // librdkafka's, not in the client's type definitions
          "bootstrap.servers": "127.0.0.1:1", // replaced by the mock cluster's
          dr_cb: true,
          dr_msg_cb: true,
          "linger.ms": 0,
        } as ProducerGlobalConfig),
      );
      producer.setPollInterval(10);
      producer.on("delivery-report", (error, report) => {
        reports.push({ error, report: report as unknown as Record<string, unknown> });
      });
      RECORDS.forEach((record, i) => {
        producer.produce(
          record.topic,
          0,
          record.value === null ? null : Buffer.from(record.value),
          record.key === null ? null : Buffer.from(record.key),
          TIMESTAMP + i,
          { index: i },
          record.headers ? [...record.headers] : undefined,
        );
      });
      await flush(producer);
      while (reports.length < RECORDS.length) await new Promise((resolve) => setTimeout(resolve, 10));
      const metadata = await new Promise<Metadata>((resolve, reject) => {
        producer.getMetadata({ timeout: 5000 }, (error, m: Metadata) => {
          if (error) reject(toError(error));
          else resolve(m);
        });
      });
      bootstrap = metadata.brokers.map((b) => `${b.host}:${b.port}`).join(",");
    });

    after(() => {
      producer.disconnect();
    });

    it("delivery reports: the same properties, in the same order, with the same values", () => {
      assert.equal(reports.length, RECORDS.length);
      const offsets = new Map<string, number>();
      for (const { error, report } of reports) {
        assert.equal(error, null);
        const i = (report.opaque as { index: number }).index;
        const record = RECORDS[i]!;
        // callbacks.cc, DeliveryReportDispatcher::Flush: value only with dr_msg_cb, timestamp when there is one.
        assert.deepEqual(Object.keys(report), [
          "topic",
          "partition",
          "offset",
          "key",
          "opaque",
          "timestamp",
          "value",
          "size",
        ]);
        assert.equal(report.topic, record.topic);
        assert.equal(report.partition, 0);
        const offset = offsets.get(record.topic) ?? 0;
        assert.equal(report.offset, offset);
        offsets.set(record.topic, offset + 1);
        assert.deepEqual(report.key, record.key === null ? null : Buffer.from(record.key));
        // The produce response's LogAppendTime, which librdkafka reports: the mock cluster always answers 1234.
        assert.equal(report.timestamp, 1234);
        assert.deepEqual(report.value, record.value === null ? null : Buffer.from(record.value));
        assert.equal(report.size, record.value === null ? 0 : Buffer.byteLength(record.value));
      }
    });

    it("a producer that connects again produces by name again (its kept topic handle is released and made anew)", async () => {
      // produce-by-name.patch keeps a handle of the topic last produced to and releases it on disconnect: a
      // second connection must make a new one (a released handle used again would crash the process).
      const again = new Producer({
        "bootstrap.servers": bootstrap,
        dr_cb: true,
        dr_msg_cb: true,
        "linger.ms": 0,
      });
      const delivered: { error: LibrdKafkaError | null; topic: string; value: string }[] = [];
      again.on("delivery-report", (error, report) => {
        delivered.push({ error, topic: report.topic, value: String(report.value ?? "") });
      });
      const produced: { topic: string; value: string }[] = [];
      for (const connection of [1, 2]) {
        await connect(again);
        again.setPollInterval(10);
        // Topics alternate, so the kept handle is replaced within a connection too.
        for (const topic of ["binding-c", "binding-d", "binding-c"]) {
          const value = `connection ${connection}, ${produced.length}`;
          again.produce(topic, null, Buffer.from(value), null);
          produced.push({ topic, value });
        }
        await flush(again);
        for (let wait = 0; wait < 500 && delivered.length < produced.length; wait++)
          await new Promise((resolve) => setTimeout(resolve, 10));
        await new Promise<void>((resolve) => again.disconnect(() => resolve()));
      }
      assert.deepEqual(
        delivered.map((d) => d.error),
        produced.map(() => null),
      );
      const byValue = (a: { value: string }, b: { value: string }) => a.value.localeCompare(b.value);
      assert.deepEqual(
        delivered.map(({ topic, value }) => ({ topic, value })).sort(byValue),
        [...produced].sort(byValue),
      );
    });

    it("produceRun: a run's messages arrive as produce() would send them, in order, in its partition", async () => {
      // produce-run.patch: count values of valueSize bytes from one Buffer, no key, no headers, in one call.
      const run = new Producer({ "bootstrap.servers": bootstrap, "linger.ms": 0 });
      await connect(run);
      try {
        const produceRun = produceRunOf(run);
        const values = Buffer.from("aaaabbbbccccddddeeee");
        assert.equal(produceRun("binding-g", 0, values, 4, 5), 5);
        assert.equal(produceRun("binding-g", 0, values.subarray(8), 4, 2), 2, "a view of a Buffer too");
        assert.equal(produceRun("binding-g", 0, values, 4, 0), 0, "an empty run");
        assert.throws(
          () => produceRun("binding-g", 0, values, 4, 6),
          RangeError,
          "more values than the Buffer holds",
        );
        assert.throws(() => produceRun("binding-g", 0, values, 0, 1), RangeError, "a value size below 1");
        await flush(run);
      } finally {
        run.disconnect();
      }
      const { batches } = await consumeAll(bootstrap, ["binding-g"], 7);
      const consumed = batches.flat();
      assert.deepEqual(
        consumed.map((m) => [m.partition, m.offset, String(m.value), m.key]),
        ["aaaa", "bbbb", "cccc", "dddd", "eeee", "cccc", "dddd"].map((value, offset) => [
          0,
          offset,
          value,
          null,
        ]),
      );
      assert.ok(consumed.every((m) => m.headers === undefined));
    });

    it("produceRun: a run longer than one rd_kafka_produce_batch() call, cut short by a full queue, keeps its order", async () => {
      // produce-run.patch queues a run to one partition 256 at a time; a queue of 300 fills up in the second call.
      const run = new Producer({
        "bootstrap.servers": bootstrap,
        "linger.ms": 60_000, // nothing leaves (and frees room) before the flush
        "queue.buffering.max.messages": 300,
      });
      await connect(run);
      const values = Buffer.alloc(600 * 4);
      for (let i = 0; i < 600; i += 1) values.writeUInt32BE(i, i * 4);
      try {
        const produceRun = produceRunOf(run);
        assert.equal(produceRun("binding-h", 0, values, 4, 600), 300, "queued until the queue was full");
        await flush(run);
        assert.equal(
          produceRun("binding-h", 0, values.subarray(300 * 4), 4, 300),
          300,
          "the rest, after a flush",
        );
        await flush(run);
      } finally {
        run.disconnect();
      }
      const consumed = (await consumeAll(bootstrap, ["binding-h"], 600)).batches.flat();
      assert.deepEqual(
        consumed.map((m) => [m.partition, m.offset, m.value?.readUInt32BE(0)]),
        Array.from({ length: 600 }, (_, i) => [0, i, i]),
      );
    });

    for (const { name, topics, packed } of [
      {
        name: "records without headers come as one block, read in place",
        topics: ["binding-e", "binding-f"],
        packed: true,
      },
      { name: "a batch with headers comes as the message objects", topics: ["binding-a"], packed: false },
    ]) {
      it(`consumePacked: ${name}`, async () => {
        const records = RECORDS.map((record, index) => ({ record, index })).filter(({ record }) =>
          topics.includes(record.topic),
        );
        const { batches, eofs, data } = await consumeAllPacked(bootstrap, topics, records.length);
        assert.equal(data, 0, "no 'data' event");
        if (packed)
          assert.ok(
            batches.every((batch) => !Array.isArray(batch)),
            "every batch packed",
          );
        else
          assert.ok(
            batches.some((batch) => Array.isArray(batch)),
            "a batch as objects",
          );
        const consumed: (Message | PackedRecord)[] = batches.flatMap((batch): (Message | PackedRecord)[] =>
          Array.isArray(batch) ? batch : unpackRecords(batch),
        );
        assert.equal(consumed.length, records.length);
        for (const topic of topics) {
          const produced = records.filter(({ record }) => record.topic === topic);
          const got = consumed.filter((m) => m.topic === topic);
          assert.equal(got.length, produced.length, topic);
          produced.forEach(({ record, index }, offset) => {
            const message = got[offset]!;
            const where = `${topic} ${offset}`;
            if (!(message instanceof PackedRecord)) {
              assertRecord(message, record, { topic, offset, timestamp: TIMESTAMP + index });
              return;
            }
            assert.ok(packed && !record.headers, where);
            assert.deepEqual(
              [message.topic, message.partition, message.offset, message.timestamp],
              [topic, 0, offset, TIMESTAMP + index],
              where,
            );
            assert.deepEqual(message.key, record.key === null ? null : Buffer.from(record.key), where);
            if (message.key !== null) assert.notEqual(message.key.buffer, message.valueIn.buffer, where);
            if (record.value === null) {
              assert.equal(message.valueLength, -1, where);
              assert.equal(message.value, null, where);
            } else {
              const bytes = Buffer.from(record.value);
              const { valueIn, valueStart, valueLength } = message;
              assert.deepEqual(
                valueIn.subarray(valueStart, valueStart + valueLength),
                bytes,
                `${where}, in place`,
              );
              const value = message.value!;
              assert.deepEqual(value, bytes, where);
              // Copied out: not a view that keeps the batch's block alive.
              assert.notEqual(value.buffer, valueIn.buffer, where);
              assert.equal(message.value, value, `${where}: copied once`);
            }
          });
        }
        assert.deepEqual(
          [...new Set((eofs as { topic: string }[]).map((eof) => eof.topic))].sort(),
          [...topics].sort(),
          "end-of-partition events",
        );
      });
    }

    for (const { name, topics, packed } of [
      { name: "with headers in some records", topics: ["binding-a", "binding-b"], packed: false },
      { name: "without headers (packed)", topics: ["binding-e", "binding-f"], packed: true },
    ]) {
      it(`consumed records of two topics in one consume call, and end-of-partition events: ${name}`, async () => {
        const records = RECORDS.map((record, index) => ({ record, index })).filter(({ record }) =>
          topics.includes(record.topic),
        );
        const { batches, eofs, packedCalls } = await consumeAll(bootstrap, topics, records.length);
        assert.ok(
          batches.some((batch) => new Set(batch.map((m) => m.topic)).size === 2),
          `a consume call returned both topics: ${JSON.stringify(batches.map((b) => b.map((m) => m.topic)))}`,
        );
        // A batch comes packed when it has no record with headers (and the addon is patched).
        if (packed) assert.equal(packedCalls, batches.length);
        else assert.ok(packedCalls < batches.length, `${packedCalls} of ${batches.length} calls packed`);

        const consumed = batches.flat();
        assert.equal(consumed.length, records.length);
        for (const topic of topics) {
          const produced = records.filter(({ record }) => record.topic === topic);
          const got = consumed.filter((m) => m.topic === topic);
          assert.equal(got.length, produced.length, topic);
          produced.forEach(({ record, index }, offset) => {
            assertRecord(got[offset]!, record, { topic, offset, timestamp: TIMESTAMP + index });
          });
        }

        // workers.cc, KafkaConsumerConsumeNum: topic, offset, partition (messageIndex is removed by the JS layer).
        const sorted = (eofs as { topic: string }[]).sort((x, y) => x.topic.localeCompare(y.topic));
        assert.deepEqual(
          sorted.filter((eof, i) => sorted.findIndex((e) => e.topic === eof.topic) === i),
          topics.map((topic) => ({
            topic,
            offset: records.filter(({ record }) => record.topic === topic).length,
            partition: 0,
          })),
        );
        for (const eof of sorted) assert.deepEqual(Object.keys(eof), ["topic", "offset", "partition"]);
      });
    }
  });
});
