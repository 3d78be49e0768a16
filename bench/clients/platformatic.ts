/**
 * @platformatic/kafka, the pure-JavaScript client Node.js users now pick for speed, written as its README shows:
 * a producer that send()s arrays of messages (idempotent, so acks=all, as the library enforces), and a consumer
 * whose messages stream is read with 'data' events (the README's first, least overhead, way), with its default
 * autocommit (the offsets of each fetch committed after it).
 *
 * Talks to the harness with JSON lines on stdout: ready, first (first records consumed), done.
 */
import {
  Consumer,
  MessagesStreamFallbackModes,
  MessagesStreamModes,
  ProduceAcks,
  Producer,
} from "@platformatic/kafka";

import { peer, say } from "./peer-protocol.ts";

const { topic, count, size } = peer;
const brokers = peer.brokers.split(",");

async function produce(): Promise<void> {
  const producer = new Producer({
    clientId: "bench-platformatic",
    bootstrapBrokers: brokers,
    idempotent: true,
    acks: ProduceAcks.ALL,
  });
  say("ready");
  // As the other Node.js producers of the bench: arrays of 1,000 keyless messages (the library spreads them over
  // the partitions round-robin), a few sends in flight; with idempotence the library itself keeps one request
  // in flight per broker and queues the rest.
  const chunk = 1000;
  const inFlight = new Set<Promise<unknown>>();
  for (let from = 0; from < count; from += chunk) {
    const messages = [];
    for (let i = from; i < Math.min(count, from + chunk); i += 1) {
      const value = Buffer.alloc(size);
      value.writeBigInt64BE(BigInt(i));
      messages.push({ topic, value });
    }
    const sending = producer.send({ messages });
    inFlight.add(sending);
    void sending.finally(() => inFlight.delete(sending));
    if (inFlight.size >= 8) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  say("done", { count });
  await producer.close();
}

async function consume(): Promise<void> {
  const consumer = new Consumer({
    clientId: "bench-platformatic",
    bootstrapBrokers: brokers,
    groupId: peer.group,
  });
  // A group of its own: nothing committed yet, so it starts from the beginning.
  const stream = await consumer.consume({
    topics: [topic],
    mode: MessagesStreamModes.COMMITTED,
    fallbackMode: MessagesStreamFallbackModes.EARLIEST,
    autocommit: true,
  });
  say("ready");
  let seen = 0;
  const finished = Promise.withResolvers<void>();
  stream.on("data", () => {
    if (seen === 0) say("first", { count: 1 });
    seen += 1;
    if (seen === count) finished.resolve();
  });
  stream.on("error", (error: Error) => finished.reject(error));
  await finished.promise;
  say("done", { count: seen });
  await stream.close();
  await consumer.close(true);
}

await (peer.mode === "produce" ? produce() : consume());
