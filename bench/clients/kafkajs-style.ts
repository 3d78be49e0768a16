/**
 * What a Node.js user would write instead of kafka-fleet: a producer and a batch consumer on KafkaJS 2.2.4.
 *
 * Talks to the harness with JSON lines on stdout: ready, first (first record consumed), done.
 */
import { Kafka, logLevel, type Message } from "kafkajs";

import { peer, say } from "./peer-protocol.ts";

const { topic, count, size } = peer;
const brokers = peer.brokers.split(",");

/** As its users configure it: acks=all (taken per send() call), otherwise defaults. */
const kafka = new Kafka({ clientId: "bench-kafkajs", brokers, logLevel: logLevel.NOTHING });

/** The int64 value big-endian, padded with zeros to `size` bytes (the services' 8). */
function valueOf(i: number): Buffer {
  const buffer = Buffer.alloc(size);
  buffer.writeBigInt64BE(BigInt(i));
  return buffer;
}

async function produce(): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  say("ready");
  // The usual idiom: send() batches of messages and keep a few sends in flight, awaiting each.
  const chunk = 1000;
  const inFlight = new Set<Promise<unknown>>();
  for (let from = 0; from < count; from += chunk) {
    const messages: Message[] = [];
    for (let i = from; i < Math.min(count, from + chunk); i += 1) messages.push({ value: valueOf(i) });
    const sending = producer.send({ topic, messages, acks: -1 });
    inFlight.add(sending);
    void sending.finally(() => inFlight.delete(sending));
    if (inFlight.size >= 8) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  say("done", { count });
  await producer.disconnect();
}

async function consume(): Promise<void> {
  const consumer = kafka.consumer({ groupId: peer.group });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  say("ready");
  let seen = 0;
  const finished = Promise.withResolvers<void>();
  // Offsets are committed by the library's default auto-commit: after each batch.
  await consumer.run({
    eachBatch: async ({ batch }) => {
      if (seen === 0) say("first", { count: batch.messages.length });
      seen += batch.messages.length;
      if (seen >= count) finished.resolve();
      return Promise.resolve();
    },
  });
  await finished.promise;
  say("done", { count: seen });
  await consumer.disconnect();
}

await (peer.mode === "produce" ? produce() : consume());
