import { setTimeout as sleep } from "node:timers/promises";

import {
  ErrorCodes,
  toError,
  type KafkaConsumerClient,
  type Metadata,
  type WatermarkOffsets,
} from "./rdkafka.ts";

/**
 * What a partition answers while its leadership moves (a broker was stopped or restarted, or the preferred leader
 * is elected back): the question is asked again until the timeout.
 */
const LEADERSHIP_MOVING: ReadonlySet<number> = new Set([
  ErrorCodes.ERR_NOT_LEADER_FOR_PARTITION,
  ErrorCodes.ERR_LEADER_NOT_AVAILABLE,
]);
const LEADERSHIP_RETRY_MS = 250;

/**
 * Each partition's end offset (high watermark) of `topic`, asked of a connected consumer client. A record is
 * below the high watermark once every in-sync replica has it, which is what acks=all waits for: the sum over
 * partitions counts a topic's acknowledged writes, whatever client wrote them. Throws when the topic is unknown.
 */
export async function topicEndOffsets(
  consumer: KafkaConsumerClient,
  topic: string,
  timeoutMs = 15_000,
): Promise<Map<number, number>> {
  const metadata = await new Promise<Metadata>((resolve, reject) => {
    consumer.getMetadata({ topic, timeout: timeoutMs }, (error, data) => {
      if (error) reject(toError(error));
      else resolve(data);
    });
  });
  const partitions = metadata.topics.find(({ name }) => name === topic)?.partitions ?? [];
  if (partitions.length === 0) throw new Error(`topic ${topic} does not exist or has no partitions`);
  const deadline = Date.now() + timeoutMs;
  const ends = await Promise.all(
    partitions.map(async ({ id }): Promise<[number, number]> => [
      id,
      await highWatermark(consumer, topic, id, deadline),
    ]),
  );
  return new Map(ends);
}

async function highWatermark(
  consumer: KafkaConsumerClient,
  topic: string,
  partition: number,
  deadline: number,
): Promise<number> {
  for (;;) {
    const timeoutMs = Math.max(1, deadline - Date.now());
    try {
      return await new Promise<number>((resolve, reject) => {
        consumer.queryWatermarkOffsets(topic, partition, timeoutMs, (error, offsets: WatermarkOffsets) => {
          if (error) reject(toError(error));
          else resolve(offsets.highOffset);
        });
      });
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (
        typeof code !== "number" ||
        !LEADERSHIP_MOVING.has(code) ||
        Date.now() + LEADERSHIP_RETRY_MS >= deadline
      ) {
        throw error;
      }
      await sleep(LEADERSHIP_RETRY_MS);
    }
  }
}
