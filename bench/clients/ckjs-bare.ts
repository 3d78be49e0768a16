/**
 * A plain loop on @confluentinc/kafka-javascript's callback API, as a user might first write it: no ceiling (it
 * is neither the fastest way to use the binding nor does it keep the services' promises). A loop of consume(n)
 * that only counts, with no decoding, no processing and no commits: what the batch consumer keeps of the
 * binding's speed.
 *
 * Talks to the harness with JSON lines on stdout: ready, first (first records consumed), done.
 */
import rdkafka from "@confluentinc/kafka-javascript";
import type { Message } from "@confluentinc/kafka-javascript";

import { connected, peer, say } from "./peer-protocol.ts";

const { topic, count } = peer;

async function consume(): Promise<void> {
  const consumer = await connected(
    new rdkafka.KafkaConsumer({
      "bootstrap.servers": peer.brokers,
      "group.id": peer.group,
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
  const batch = peer.batch;
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

await consume();
