/**
 * What a Node.js user would write instead of kafka-fleet: a producer and a batch consumer on the KafkaJS API,
 * run either on KafkaJS 2.2.4 itself or on the KafkaJS-compatible promisified API of
 * @confluentinc/kafka-javascript (the same code shape; only the client construction differs).
 *
 * Talks to the harness with JSON lines on stdout: ready, first (first record consumed), done.
 */
import { parseArgs } from "node:util";

import confluent from "@confluentinc/kafka-javascript";
import { Kafka as KafkaJs, logLevel } from "kafkajs";

interface Message {
  value: Buffer;
}
interface Batch {
  messages: unknown[];
}
interface Producer {
  connect(): Promise<void>;
  send(record: { topic: string; messages: Message[]; acks?: number }): Promise<unknown>;
  disconnect(): Promise<void>;
}
interface Consumer {
  connect(): Promise<void>;
  subscribe(options: { topics: string[]; fromBeginning?: boolean }): Promise<void>;
  run(options: { eachBatch: (payload: { batch: Batch }) => Promise<void> }): Promise<void>;
  disconnect(): Promise<void>;
}

const { values: args } = parseArgs({
  options: {
    lib: { type: "string" },
    mode: { type: "string" },
    brokers: { type: "string" },
    topic: { type: "string" },
    count: { type: "string" },
    size: { type: "string", default: "8" },
    group: { type: "string" },
    batch: { type: "string", default: "500" },
  },
});
const brokers = (args.brokers ?? "").split(",");
const count = Number(args.count);
const size = Number(args.size);
const say = (event: string, fields: Record<string, unknown> = {}) =>
  process.stdout.write(`${JSON.stringify({ event, ...fields })}\n`);

/** Each library as its users configure it: acks=all, otherwise defaults. */
function clients(): { producer: () => Producer; consumer: (group: string) => Consumer; sendAcks: boolean } {
  if (args.lib === "kafkajs") {
    const kafka = new KafkaJs({ clientId: "bench-kafkajs", brokers, logLevel: logLevel.NOTHING });
    return {
      producer: () => kafka.producer(),
      consumer: (groupId) => kafka.consumer({ groupId }),
      // KafkaJS takes acks per send() call (-1 = all).
      sendAcks: true,
    };
  }
  const kafka = new confluent.KafkaJS.Kafka({
    kafkaJS: { clientId: "bench-ckjs", brokers, logLevel: confluent.KafkaJS.logLevel.NOTHING },
  });
  return {
    // This API takes acks in the producer's config and refuses it per send().
    producer: () => kafka.producer({ kafkaJS: { acks: -1 } }),
    // The KafkaJS API hands eachBatch at most 32 records unless told otherwise: raised to the batch size the
    // other batch consumers of the bench use, so it is not held back by a default meant for latency.
    consumer: (groupId) =>
      kafka.consumer({
        kafkaJS: { groupId, fromBeginning: true },
        "js.consumer.max.batch.size": Number(args.batch),
      }),
    sendAcks: false,
  };
}

/** The int64 value big-endian, padded with zeros to `size` bytes (the seed's 8, or 100). */
function valueOf(i: number): Buffer {
  const buffer = Buffer.alloc(size);
  buffer.writeBigInt64BE(BigInt(i));
  return buffer;
}

async function produce(): Promise<void> {
  const { producer: make, sendAcks } = clients();
  const producer = make();
  await producer.connect();
  say("ready");
  // The usual idiom: send() batches of messages and keep a few sends in flight, awaiting each.
  const chunk = 1000;
  const inFlight = new Set<Promise<unknown>>();
  for (let from = 0; from < count; from += chunk) {
    const messages: Message[] = [];
    for (let i = from; i < Math.min(count, from + chunk); i += 1) messages.push({ value: valueOf(i) });
    const sending = producer.send({ topic: args.topic!, messages, ...(sendAcks ? { acks: -1 } : {}) });
    inFlight.add(sending);
    void sending.finally(() => inFlight.delete(sending));
    if (inFlight.size >= 8) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  say("done", { count });
  await producer.disconnect();
}

async function consume(): Promise<void> {
  const consumer = clients().consumer(args.group!);
  await consumer.connect();
  // KafkaJS takes fromBeginning here; the confluent API takes it in the consumer's config (set above).
  await consumer.subscribe({
    topics: [args.topic!],
    ...(args.lib === "kafkajs" ? { fromBeginning: true } : {}),
  });
  say("ready");
  let seen = 0;
  const finished = Promise.withResolvers<void>();
  // Offsets are committed by the library's default auto-commit: KafkaJS after each batch, the confluent API
  // (librdkafka's auto-commit) every 5 s.
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

await (args.mode === "produce" ? produce() : consume());
