import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";

import {
  KafkaConsumer,
  toError,
  type ClientIdentity,
  type KafkaConsumerClient,
  type Message,
} from "@kafka-fleet/kafka";

import { defaultTopicSpec, withAdmin } from "../../harness/admin.ts";
import { BOOTSTRAP, deadLetterTopicConfig, topicRecordCount } from "../../harness/kafka.ts";

export { BOOTSTRAP };
export const PARTITIONS = 6;
const identity: ClientIdentity = { bootstrapServers: BOOTSTRAP, service: "bench" };

/** Names no other engineer's test on the shared cluster uses. */
export function uniqueName(prefix: string): string {
  return `bench-${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString("hex")}`;
}

/** The topics the local cluster itself holds: Kafka's internal ones and the fleet's (topic_app and its kin). */
export function isClusterTopic(topic: string): boolean {
  return /^(__.+|topic_app(\.(dlq|results))?)$/.test(topic);
}

/**
 * Topics on the cluster besides its own and this run's: left over by killed bench or test runs, they cost the
 * brokers CPU (each partition is fetched and replicated) and skewed every figure of a run by 2-4×. With
 * `remove`, those that a bench run made (`bench-…`) are deleted; the rest are only reported.
 */
export async function strayTopics(remove: boolean): Promise<{ deleted: string[]; kept: string[] }> {
  return withAdmin(identity, async (admin) => {
    const strays = (await admin.listTopics()).filter((topic) => !isClusterTopic(topic)).sort();
    const deleted = remove ? strays.filter((topic) => topic.startsWith("bench-")) : [];
    for (const topic of deleted) await admin.deleteTopic(topic);
    return { deleted, kept: strays.filter((topic) => !deleted.includes(topic)) };
  });
}

/**
 * Topics and groups this run made; `cleanup()` deletes them all, also after a failed or interrupted run
 * (the shared cluster must not fill up with benchmark data).
 */
export class Scratch {
  readonly #topics = new Set<string>();
  readonly #groups = new Set<string>();

  async topic(prefix: string): Promise<string> {
    return this.named(uniqueName(prefix));
  }

  /**
   * The services refuse to start without their dead-letter topic (DLQ_TOPIC, `<input>.dlq`); it takes a record at
   * the input's size limit plus the dlq.* headers.
   */
  dlqFor(topic: string): Promise<string> {
    return this.named(`${topic}.dlq`, deadLetterTopicConfig());
  }

  async named(topic: string, config?: Record<string, string>): Promise<string> {
    this.#topics.add(topic);
    // 6 partitions, RF 3, min.insync.replicas 2: the layout of topic_app.
    await withAdmin(identity, (admin) =>
      admin.ensureTopic({ ...defaultTopicSpec(topic, PARTITIONS), config }),
    );
    return topic;
  }

  group(prefix: string): string {
    const group = uniqueName(prefix);
    this.#groups.add(group);
    return group;
  }

  async cleanup(): Promise<void> {
    await withAdmin(identity, async (admin) => {
      for (const group of this.#groups) await admin.deleteGroup(group).catch(() => undefined);
      for (const topic of this.#topics) await admin.deleteTopic(topic).catch(() => undefined);
      this.#groups.clear();
      this.#topics.clear();
    });
  }
}

async function connectedConsumer(): Promise<KafkaConsumerClient> {
  const consumer = new KafkaConsumer({
    "bootstrap.servers": BOOTSTRAP.join(","),
    "group.id": uniqueName("reader"),
    "enable.auto.commit": false,
    "fetch.max.bytes": 52_428_800,
  });
  await new Promise<void>((resolve, reject) =>
    consumer.connect({ timeout: 15_000 }, (error) => (error ? reject(toError(error)) : resolve())),
  );
  return consumer;
}

/**
 * Counts the records in a topic (sum of high watermarks) from outside the client under test. The high
 * watermark moves only once all in-sync replicas have a record, which is what acks=all waits for, so it counts
 * acknowledged writes the same way for every producer, whatever it reports itself.
 */
export class TopicCounter {
  readonly #consumer: KafkaConsumerClient;

  private constructor(consumer: KafkaConsumerClient) {
    this.#consumer = consumer;
  }

  static async open(): Promise<TopicCounter> {
    return new TopicCounter(await connectedConsumer());
  }

  async count(topic: string): Promise<number> {
    // A topic created a moment ago may have no leaders yet ("Not leader for partition"), or be unknown to this
    // client's metadata for a few seconds ("Unknown partition"): ask again, for up to 30 s.
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.#count(topic);
      } catch (error) {
        if (attempt >= 300) throw error;
        await sleep(100);
      }
    }
  }

  #count(topic: string): Promise<number> {
    return topicRecordCount(this.#consumer, topic, 5_000);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#consumer.disconnect(() => resolve()));
  }
}

/**
 * Every record's int64 value and CreateTime timestamp (ms), read without a group. Latency is computed from
 * these: the input record's timestamp is set by the producer when it sends, the result record's by the consumer
 * when it has processed the value.
 */
export async function readTimestamps(topic: string, expected: number): Promise<Map<bigint, number>> {
  const consumer = await connectedConsumer();
  try {
    consumer.assign(Array.from({ length: PARTITIONS }, (_, partition) => ({ topic, partition, offset: 0 })));
    consumer.setDefaultConsumeTimeout(500);
    const byValue = new Map<bigint, number>();
    let idle = 0;
    while (byValue.size < expected && idle < 20) {
      const batch = await new Promise<Message[]>((resolve, reject) =>
        consumer.consume(10_000, (error, messages) => (error ? reject(toError(error)) : resolve(messages))),
      );
      idle = batch.length === 0 ? idle + 1 : 0;
      for (const message of batch) {
        if (message.value?.length !== 8 || message.timestamp === undefined) continue;
        const value = message.value.readBigInt64BE();
        // A value processed twice (at-least-once) counts with its first result.
        if (!byValue.has(value)) byValue.set(value, message.timestamp);
      }
    }
    return byValue;
  } finally {
    await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  }
}
