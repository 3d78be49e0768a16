// A read_committed reader that follows a results topic while a scenario runs, as an exactly-once application
// downstream would: it sees each committed transaction once its markers are written, and counts, as they arrive,
// the values it sees twice. What it read, in arrival order per partition, is kept for the order check
// (orderViolations), each record labelled with the phase of the scenario it arrived in.
import { setTimeout as sleep } from "node:timers/promises";

import { KafkaConsumer, connectClient, toError, topicEndOffsets, type Message } from "@kafka-fleet/kafka";
import { deserializeInt } from "@kafka-fleet/serde";

import { BOOTSTRAP } from "../kafka.ts";

export interface Arrival {
  readonly value: bigint;
  /** The results partition it was read from. */
  readonly partition: number;
  readonly phase: string;
}

export class CommittedReader {
  readonly arrivals: Arrival[] = [];
  readonly #seen = new Set<bigint>();
  readonly #duplicates = new Map<string, number>();
  readonly #consumer: InstanceType<typeof KafkaConsumer>;
  #phase: string;
  #reading: Promise<void> = Promise.resolve();
  #closed = false;
  #failure: unknown;

  private constructor(consumer: InstanceType<typeof KafkaConsumer>, phase: string) {
    this.#consumer = consumer;
    this.#phase = phase;
  }

  /** Starts reading `topic` from offset 0 of every partition, in phase `phase`. */
  static async start(topic: string, phase: string): Promise<CommittedReader> {
    const consumer = new KafkaConsumer({
      "bootstrap.servers": BOOTSTRAP.join(","),
      "group.id": `kafka-fleet-committed-reader-${process.pid}-${Date.now()}`,
      "enable.auto.commit": false,
      "isolation.level": "read_committed",
    });
    await connectClient(consumer, BOOTSTRAP, 15_000);
    const partitions = [...(await topicEndOffsets(consumer, topic)).keys()];
    consumer.assign(partitions.map((partition) => ({ topic, partition, offset: 0 })));
    consumer.setDefaultConsumeTimeout(200);
    const reader = new CommittedReader(consumer, phase);
    reader.#reading = reader.#read();
    return reader;
  }

  /** Labels what arrives from now on. */
  phase(name: string): void {
    this.#phase = name;
  }

  /** How many distinct values it has read. */
  get distinct(): number {
    return this.#seen.size;
  }

  /** Values read more than once, by the phase the repeat arrived in. */
  duplicatesByPhase(): ReadonlyMap<string, number> {
    return this.#duplicates;
  }

  get duplicates(): number {
    let total = 0;
    for (const count of this.#duplicates.values()) total += count;
    return total;
  }

  /** Resolves once it has read `count` distinct values; rejects after `timeoutMs`, or if reading failed. */
  async until(count: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.#seen.size < count) {
      if (this.#failure !== undefined) throw this.#failure as Error;
      if (Date.now() > deadline) {
        throw new Error(
          `the read_committed reader saw ${this.#seen.size} of ${count} values in ${timeoutMs} ms`,
        );
      }
      await sleep(250);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#reading;
    await new Promise<void>((resolve) => this.#consumer.disconnect(() => resolve()));
    if (this.#failure !== undefined) throw this.#failure as Error;
  }

  async #read(): Promise<void> {
    while (!this.#closed) {
      try {
        const batch = await new Promise<Message[]>((resolve, reject) =>
          this.#consumer.consume(1000, (error, messages) =>
            error ? reject(toError(error)) : resolve(messages),
          ),
        );
        for (const message of batch) this.#take(message);
      } catch (error) {
        // A broker going away surfaces here at times: the consumer reconnects by itself, the reading goes on.
        if (this.#closed) return;
        if ((error as { code?: unknown }).code === undefined) {
          this.#failure = error;
          return;
        }
        await sleep(100);
      }
    }
  }

  #take(message: Message): void {
    const value = deserializeInt(message.value);
    if (this.#seen.has(value)) {
      this.#duplicates.set(this.#phase, (this.#duplicates.get(this.#phase) ?? 0) + 1);
    } else {
      this.#seen.add(value);
    }
    this.arrivals.push({ value, partition: message.partition, phase: this.#phase });
  }
}

export interface OrderViolation {
  readonly value: bigint;
  /** The value read before it, in the same results partition, from the same input partition. */
  readonly after: bigint;
  readonly inputPartition: number;
  readonly resultsPartition: number;
  readonly phase: string;
}

/**
 * Where the reader saw a partition's results out of input order: within each results partition, the results of
 * each input partition must come in the order of their input offsets. `inputOrder` gives each value's input
 * partition and offset.
 */
export function orderViolations(
  arrivals: readonly Arrival[],
  inputOrder: ReadonlyMap<bigint, { partition: number; offset: number }>,
): OrderViolation[] {
  const last = new Map<string, { value: bigint; offset: number }>();
  const violations: OrderViolation[] = [];
  for (const { value, partition, phase } of arrivals) {
    const input = inputOrder.get(value);
    if (input === undefined) throw new Error(`result ${value} has no input record`);
    const key = `${partition}/${input.partition}`;
    const previous = last.get(key);
    if (previous !== undefined && previous.offset >= input.offset) {
      violations.push({
        value,
        after: previous.value,
        inputPartition: input.partition,
        resultsPartition: partition,
        phase,
      });
    }
    last.set(key, { value, offset: input.offset });
  }
  return violations;
}
