/**
 * The single consumer's work done by the client binding alone: the latency part's same-rate peer. A loop of
 * consume(64) that sends every record's value on to the results topic, keyed by it, as the single consumer's
 * handler does (idempotent, acks=all, the same 20 ms linger). No decoding, ordering, retries, dead letters, offsets
 * stored per record, metrics or logs: librdkafka commits what it handed over. Fed by the same producer service at
 * the same rate, its e2e latency is what the client and the cluster allow at that moment, so the single consumer's
 * figure over it is the service's own cost. Kafka's EndToEndLatency cannot tell that part: it sends one record at
 * a time, so a stall of the cluster delays one of its records where it delays a whole second's worth of these.
 *
 * Talks to the harness with JSON lines on stdout: ready (all partitions assigned). Stops on SIGTERM.
 */
import rdkafka from "@confluentinc/kafka-javascript";
import type { LibrdKafkaError, Message, TopicPartition } from "@confluentinc/kafka-javascript";

import { connected, peer, say } from "./peer-protocol.ts";

const producer = await connected(
  new rdkafka.Producer({
    "bootstrap.servers": peer.brokers,
    "enable.idempotence": true,
    acks: -1, // all in-sync replicas
    "linger.ms": 20,
    dr_cb: true,
    "delivery.report.only.error": true,
  }),
);
producer.setPollInBackground(true);
producer.on("delivery-report", (error: LibrdKafkaError | null) => {
  if (error) throw new Error(`result not delivered: ${error.message}`);
});

const consumer = new rdkafka.KafkaConsumer({
  "bootstrap.servers": peer.brokers,
  "group.id": peer.group,
  "auto.offset.reset": "earliest",
  rebalance_cb(error: LibrdKafkaError, partitions: TopicPartition[]) {
    if (error.code === rdkafka.CODES.ERRORS.ERR__ASSIGN_PARTITIONS) {
      consumer.assign(partitions);
      if (partitions.length === peer.partitions) say("ready");
    } else {
      consumer.unassign();
    }
  },
});
await connected(consumer);
consumer.setDefaultConsumeTimeout(200);
// As the services do: a call returns what is already fetched instead of waiting to fill up (missing from the types).
(
  consumer as unknown as { setDefaultIsTimeoutOnlyForFirstMessage(only: boolean): void }
).setDefaultIsTimeoutOnlyForFirstMessage(true);
consumer.subscribe([peer.topic]);

let stopping = false;
process.once("SIGTERM", () => (stopping = true));
while (!stopping) {
  const messages = await new Promise<Message[]>((resolve, reject) =>
    consumer.consume(64, (error, batch) => (error ? reject(new Error(error.message)) : resolve(batch))),
  );
  for (const { value } of messages) producer.produce(peer.results, null, value, value);
}
await new Promise<void>((resolve) => producer.flush(10_000, () => resolve()));
await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
await new Promise<void>((resolve) => producer.disconnect(() => resolve()));
