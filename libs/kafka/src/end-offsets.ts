import { toError, type KafkaConsumerClient, type Metadata, type WatermarkOffsets } from "./rdkafka.ts";

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
  const ends = await Promise.all(
    partitions.map(
      ({ id }) =>
        new Promise<[number, number]>((resolve, reject) => {
          consumer.queryWatermarkOffsets(topic, id, timeoutMs, (error, offsets: WatermarkOffsets) => {
            if (error) reject(toError(error));
            else resolve([id, offsets.highOffset]);
          });
        }),
    ),
  );
  return new Map(ends);
}
