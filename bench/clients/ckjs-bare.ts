/**
 * Two plain loops on @confluentinc/kafka-javascript's callback API, as a user might first write them: no
 * ceiling (they are neither the fastest way to use the binding nor do they keep the services' promises).
 * The producer is a loop of produce() with a delivery report per message (idempotent, acks=all) that sleeps
 * 1 ms whenever the local queue is full; the consumer is a loop of consume(n) that only counts, with no
 * decoding, no processing and no commits.
 *
 * Talks to the harness with JSON lines on stdout: ready, first (first records consumed), done.
 */
import { setImmediate as yieldToEventLoop, setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";

import rdkafka from "@confluentinc/kafka-javascript";
import type { LibrdKafkaError, Message } from "@confluentinc/kafka-javascript";

const { values: args } = parseArgs({
  options: {
    mode: { type: "string" },
    brokers: { type: "string" },
    topic: { type: "string" },
    count: { type: "string" },
    size: { type: "string", default: "8" },
    group: { type: "string" },
    batch: { type: "string", default: "500" },
  },
});
const topic = args.topic ?? "";
const count = Number(args.count);
const size = Number(args.size);
const say = (event: string, fields: Record<string, unknown> = {}) =>
  process.stdout.write(`${JSON.stringify({ event, ...fields })}\n`);

function connected<
  T extends { connect: (options: object, done: (error: LibrdKafkaError | null) => void) => unknown },
>(client: T): Promise<T> {
  return new Promise((resolve, reject) =>
    client.connect({ timeout: 15_000 }, (error) =>
      error ? reject(new Error(error.message)) : resolve(client),
    ),
  );
}

async function produce(): Promise<void> {
  const producer = await connected(
    new rdkafka.Producer({
      "bootstrap.servers": args.brokers ?? "",
      "enable.idempotence": true,
      acks: -1, // all in-sync replicas
      dr_cb: true,
      "linger.ms": 5,
    }),
  );
  producer.setPollInBackground(true);
  say("ready");
  let reported = 0;
  const finished = Promise.withResolvers<void>();
  producer.on("delivery-report", (error: LibrdKafkaError | null) => {
    if (error) finished.reject(new Error(error.message));
    reported += 1;
    if (reported === count) finished.resolve();
  });
  for (let i = 0; i < count;) {
    const value = Buffer.alloc(size);
    value.writeBigInt64BE(BigInt(i));
    try {
      producer.produce(topic, null, value, null, null);
    } catch {
      // Queue full: let delivery reports make room.
      await sleep(1);
      continue;
    }
    i += 1;
    if (i % 1000 === 0) await yieldToEventLoop();
  }
  await finished.promise;
  say("done", { count });
  await new Promise<void>((resolve) => producer.disconnect(() => resolve()));
}

async function consume(): Promise<void> {
  const consumer = await connected(
    new rdkafka.KafkaConsumer({
      "bootstrap.servers": args.brokers ?? "",
      "group.id": args.group ?? "",
      "enable.auto.commit": false,
      "auto.offset.reset": "earliest",
    }),
  );
  consumer.setDefaultConsumeTimeout(200);
  (
    consumer as unknown as { setDefaultIsTimeoutOnlyForFirstMessage(on: boolean): void }
  ).setDefaultIsTimeoutOnlyForFirstMessage(true);
  consumer.subscribe([topic]);
  say("ready");
  const batch = Number(args.batch);
  let seen = 0;
  while (seen < count) {
    const messages = await new Promise<Message[]>((resolve, reject) =>
      consumer.consume(batch, (error, fetched) =>
        error ? reject(new Error(error.message)) : resolve(fetched),
      ),
    );
    if (seen === 0 && messages.length > 0) say("first", { count: messages.length });
    seen += messages.length;
  }
  say("done", { count: seen });
  await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
}

await (args.mode === "produce" ? produce() : consume());
