/**
 * What every peer client of the bench shares with the harness (bench/lib/clients.ts): the flags it is started
 * with, and the JSON lines it writes on stdout (ready, first, done; the relay only ready). One set of flags for
 * all of them, each client reading the ones it needs, so the harness starts them all the same way.
 */
import { parseArgs } from "node:util";

import type { LibrdKafkaError } from "@confluentinc/kafka-javascript";

const { values } = parseArgs({
  options: {
    mode: { type: "string" }, // produce | consume
    brokers: { type: "string", default: "" }, // comma-separated
    topic: { type: "string", default: "" },
    results: { type: "string", default: "" }, // the relay's output topic
    count: { type: "string", default: "0" }, // records to produce or to consume
    size: { type: "string", default: "8" }, // value bytes
    group: { type: "string", default: "" },
    batch: { type: "string", default: "500" }, // records per consume(n)
    partitions: { type: "string", default: "6" }, // the relay is ready once it holds this many
  },
});

export const peer = {
  mode: values.mode,
  brokers: values.brokers,
  topic: values.topic,
  results: values.results,
  count: Number(values.count),
  size: Number(values.size),
  group: values.group,
  batch: Number(values.batch),
  partitions: Number(values.partitions),
};

/** One JSON line for the harness. */
export const say = (event: string, fields: Record<string, unknown> = {}): void =>
  void process.stdout.write(`${JSON.stringify({ event, ...fields })}\n`);

/** A @confluentinc/kafka-javascript client, connected (callback API). */
export function connected<
  T extends { connect: (options: object, done: (error: LibrdKafkaError | null) => void) => unknown },
>(client: T): Promise<T> {
  return new Promise((resolve, reject) =>
    client.connect({ timeout: 15_000 }, (error) =>
      error ? reject(new Error(error.message)) : resolve(client),
    ),
  );
}
