// The share consumer that deploy/binding's share-consumer patch adds to the client, against the real cluster
// (share groups are on in Kafka 4.2+): records consumed and acknowledged one by one, delivery counts, and close()
// giving back what it held.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { createShareConsumer, type ShareConsumerClient, type ShareRecord } from "@kafka-fleet/kafka";

import {
  BOOTSTRAP,
  cluster,
  createTestTopic,
  produceValues,
  testProducer,
  uniqueName,
} from "../../harness/kafka.ts";

/** The group's lock on an acquired record: the broker's upper bound (group.share.max.record.lock.duration.ms). */
const LOCK_MS = 60_000;

/** A share group that starts from the topic's beginning, with a lock longer than any of these tests. */
async function shareGroup(prefix: string, settings = ""): Promise<string> {
  const group = uniqueName(prefix);
  await cluster(
    "group-config",
    group,
    `share.auto.offset.reset=earliest,share.record.lock.duration.ms=${LOCK_MS}${settings}`,
  );
  return group;
}

function member(t: { after(fn: () => unknown): void }, group: string, topic: string): ShareConsumerClient {
  const consumer = createShareConsumer({
    "group.id": group,
    "bootstrap.servers": BOOTSTRAP.join(","),
    log_level: 3,
  });
  let closed = false;
  const close = consumer.close.bind(consumer);
  consumer.close = () => {
    closed = true;
    return close();
  };
  t.after(() => (closed ? undefined : consumer.close()));
  consumer.subscribe([topic]);
  return consumer;
}

const key = (record: Pick<ShareRecord, "partition" | "offset">): string =>
  `${record.partition}:${record.offset}`;

describe("share consumer (binding)", () => {
  it("consumes 1,000 records and accepts each one, every partition's acknowledgement without error", async (t) => {
    const topic = await createTestTopic(t, "share-binding", 2);
    await produceValues(await testProducer(t), topic, 0n, 1000n);
    const consumer = member(t, await shareGroup("share-binding"), topic);

    const seen = new Map<string, bigint>();
    const ackErrors: unknown[] = [];
    // Ends when every record is seen; a consumer that loses records never gets there and the test times out.
    while (seen.size < 1000) {
      const batch = await consumer.consume(1000);
      assert.deepEqual(batch.errors, []);
      ackErrors.push(...batch.acknowledgements.filter((a) => a.error));
      for (const record of batch.records) {
        assert.equal(record.topic, topic);
        assert.equal(record.deliveryCount, 1, `record ${key(record)} delivered once`);
        seen.set(key(record), record.value!.readBigInt64BE());
        consumer.acknowledge(record, "ACCEPT");
      }
    }
    const commit = await consumer.commitSync(10_000);
    for (const partition of commit.partitions) assert.equal(partition.error, null);
    assert.deepEqual(ackErrors, []);
    const values = [...seen.values()].map(Number).sort((a, b) => a - b);
    assert.deepEqual(
      values,
      Array.from({ length: 1000 }, (_, i) => i),
    );
  });

  it("redelivers a released record with the delivery count the broker keeps: 1, 2, 3", async (t) => {
    const topic = await createTestTopic(t, "share-release", 1);
    await produceValues(await testProducer(t), topic, 0n, 1n);
    const consumer = member(t, await shareGroup("share-release"), topic);

    const counts: number[] = [];
    while (counts.length < 3) {
      for (const record of (await consumer.consume(1000)).records) {
        counts.push(record.deliveryCount);
        consumer.acknowledge(record, counts.length < 3 ? "RELEASE" : "ACCEPT");
      }
    }
    await consumer.commitSync(10_000);
    assert.deepEqual(counts, [1, 2, 3]);
  });

  it("acknowledge() of a record it does not hold, and calls while a consume runs, fail at once", async (t) => {
    const topic = await createTestTopic(t, "share-misuse", 1);
    const consumer = member(t, await shareGroup("share-misuse"), topic);
    assert.throws(() => consumer.acknowledge({ topic, partition: 0, offset: 42 }), { code: -172 });
    const consuming = consumer.consume(500);
    assert.equal(consumer.busy(), true);
    assert.throws(() => consumer.commitAsync(), { code: -173 });
    await consuming;
    assert.equal(consumer.busy(), false);
    consumer.commitAsync();
  });

  it("close() gives back the records it held: another member gets them at once, not after the lock", async (t) => {
    const topic = await createTestTopic(t, "share-close", 1);
    await produceValues(await testProducer(t), topic, 0n, 10n);
    const group = await shareGroup("share-close");
    const first = member(t, group, topic);
    let held: ShareRecord[] = [];
    while (held.length === 0) held = (await first.consume(1000)).records;
    // Half accepted, the rest neither accepted nor released when it closes.
    const accepted = new Set(held.slice(0, Math.floor(held.length / 2)).map(key));
    for (const record of held) if (accepted.has(key(record))) first.acknowledge(record, "ACCEPT");
    await first.commitSync(10_000);
    await first.close();
    const closedAt = Date.now();

    const second = member(t, group, topic);
    const again = new Map<string, number>();
    const expected = held.filter((record) => !accepted.has(key(record))).map(key);
    while (!expected.every((k) => again.has(k))) {
      for (const record of (await second.consume(1000)).records) {
        again.set(key(record), record.deliveryCount);
        second.acknowledge(record, "ACCEPT");
      }
    }
    const waited = Date.now() - closedAt;
    // Released by the close, they come back before their lock (LOCK_MS) would have ended.
    assert.ok(waited < LOCK_MS, `held records came back after ${waited} ms, the lock is ${LOCK_MS} ms`);
    for (const k of expected) assert.equal(again.get(k), 2, `record ${k} delivered a second time`);
    for (const k of accepted) assert.equal(again.has(k), false, `accepted record ${k} not delivered again`);
  });
});
