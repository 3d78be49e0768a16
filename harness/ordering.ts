// The ordering tests' and the ordering lab's shared pieces: keyed values produced across partitions, a single
// consumer whose handler delays each record at random, and the check of which keys or partitions came out of
// offset order.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

import { auditValues, forEachRecord, readTopicValues } from "@kafka-fleet/audit";
import type { DeliveryProducer } from "@kafka-fleet/kafka";
import { deserializeInt, serializeInt } from "@kafka-fleet/serde";

import {
  BOOTSTRAP,
  createInputTopic,
  createTestTopic,
  deleteGroupAfter,
  testProducer,
  uniqueName,
} from "./kafka.ts";
import { startService, stopGracefully, waitForRecords } from "./services.ts";

const fixture = (name: string) => ({
  path: fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url)),
});
export const delayingConsumer = fixture("delaying-single-consumer.ts");
export const recordingBatchConsumer = fixture("recording-batch-consumer.ts");

/** Where each value landed in the input topic. */
export interface Origin {
  readonly partition: number;
  readonly offset: number;
  readonly key: string;
}

/** Produces [0, count) with key `k<value % keys>`; the partitioner spreads the keys over the partitions. */
export async function produceKeyed(producer: DeliveryProducer, topic: string, count: number, keys: number) {
  const sends: Promise<void>[] = [];
  for (let value = 0; value < count; value += 1) {
    sends.push(
      producer.send({ topic, key: Buffer.from(`k${value % keys}`), value: serializeInt(BigInt(value)) }),
    );
  }
  await Promise.all(sends);
}

export async function originsOf(topic: string): Promise<Map<bigint, Origin>> {
  const origins = new Map<bigint, Origin>();
  await forEachRecord({ bootstrapServers: BOOTSTRAP, topic }, (message) => {
    origins.set(deserializeInt(message.value), {
      partition: message.partition,
      offset: message.offset,
      key: String(message.key),
    });
  });
  return origins;
}

/** The values of a one-partition results topic, in the order they were published. */
export async function resultsInOrder(topic: string): Promise<bigint[]> {
  return (await readTopicValues({ bootstrapServers: BOOTSTRAP, topic })).values;
}

/** Groups that see a record out of offset order (a later offset of the group published before an earlier one). */
export function groupsOutOfOrder(
  results: readonly bigint[],
  origins: Map<bigint, Origin>,
  groupOf: (origin: Origin) => string,
): string[] {
  const last = new Map<string, number>();
  const broken = new Set<string>();
  for (const value of results) {
    const origin = origins.get(value);
    assert.ok(origin !== undefined, `result ${value} has no input record`);
    const group = groupOf(origin);
    if ((last.get(group) ?? -1) > origin.offset) broken.add(group);
    last.set(group, Math.max(last.get(group) ?? -1, origin.offset));
  }
  return [...broken];
}

export const byKey = (origin: Origin) => `${origin.partition}/${origin.key}`;
export const byPartition = (origin: Origin) => String(origin.partition);

/** Runs the delaying single consumer over `count` keyed values in one mode to the end; returns the results. */
export async function runMode(
  t: Parameters<typeof createTestTopic>[0],
  ordering: string,
  count: number,
  keys: number,
): Promise<{ results: bigint[]; origins: Map<bigint, Origin> }> {
  const input = await createInputTopic(t, `order-${ordering}`);
  const resultsTopic = await createTestTopic(t, `order-${ordering}-results`, 1);
  const group = uniqueName(`order-${ordering}`);
  deleteGroupAfter(t, group);
  await produceKeyed(await testProducer(t), input, count, keys);
  const consumer = startService(t, delayingConsumer, {
    KAFKA_TOPIC: input,
    RESULTS_TOPIC: resultsTopic,
    CONSUMER_GROUP: group,
    ORDERING: ordering,
    DELAY_MAX_MS: "10",
  });
  await waitForRecords(resultsTopic, count);
  assert.equal(await stopGracefully(consumer), 0, consumer.stderr());
  const results = await resultsInOrder(resultsTopic);
  const report = auditValues({ from: 0n, to: BigInt(count) }, results);
  assert.equal(report.missing, 0);
  return { results, origins: await originsOf(input) };
}
