// Consumed records read in place from the block the binding packs a consume(n) batch into (deploy/binding's
// record-packing patch, `consumePacked`): one object per record and no Buffer per value. The binding's `consume`
// would make an object and a Buffer per record from the same block, and the worker then a record of its own from
// that: on the batch consumer's main thread that was a fifth of its time per record (docs/benchmarks.md).
import type { LibrdKafkaError, Message } from "./rdkafka.ts";

/** A consume(n) batch as the patched binding hands it over (lib/kafka-consumer.js, PackedBatch). */
export interface PackedBatch {
  readonly count: number;
  /** FIELDS_PER_RECORD numbers per record, in the order of the constants below. */
  readonly fields: Float64Array;
  /** The whole block: the values' and keys' bytes start at `bytesStart`, each record's value before its key. */
  readonly bytes: Buffer;
  readonly bytesStart: number;
  readonly topics: readonly string[];
}

/** What the record-packing patch adds to the binding's consumer (libs/kafka falls back to `consume` without it). */
export interface PackingConsumer {
  consumePacked(
    max: number,
    callback: (error: LibrdKafkaError | null | undefined, batch?: PackedBatch | Message[]) => void,
  ): void;
}

export function canConsumePacked(client: object): client is PackingConsumer {
  return typeof (client as Partial<PackingConsumer>).consumePacked === "function";
}

const FIELDS_PER_RECORD = 7;
const OFFSET = 0;
const PARTITION = 1;
const TIMESTAMP = 2;
const VALUE_LENGTH = 4;
const KEY_LENGTH = 5;
const TOPIC_INDEX = 6;

/**
 * A record of a packed batch. Its value stays in the batch's block: `valueIn`/`valueStart`/`valueLength` let a
 * decoder read it there (libs/serde's `deserializeIntAt`), and `value` copies it out, once, for whatever must
 * outlive the batch (a dead letter, a deserializer that takes a Buffer). The key, rare and small, is copied at once.
 */
export class PackedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** ms since the epoch (the producer's create time, or the log append time if the topic says so). */
  readonly timestamp: number;
  readonly key: Buffer | null;
  /** The batch's block, which holds the value's bytes. */
  readonly valueIn: Buffer;
  readonly valueStart: number;
  /** -1 for a null value (a tombstone). */
  readonly valueLength: number;
  #value: Buffer | null | undefined = undefined;

  constructor(
    topic: string,
    partition: number,
    offset: number,
    timestamp: number,
    key: Buffer | null,
    valueIn: Buffer,
    valueStart: number,
    valueLength: number,
  ) {
    this.topic = topic;
    this.partition = partition;
    this.offset = offset;
    this.timestamp = timestamp;
    this.key = key;
    this.valueIn = valueIn;
    this.valueStart = valueStart;
    this.valueLength = valueLength;
  }

  /** The value's bytes, copied out of the block (a Buffer of its own), or null for a tombstone. */
  get value(): Buffer | null {
    if (this.#value === undefined) {
      this.#value =
        this.valueLength < 0
          ? null
          : Buffer.from(this.valueIn.subarray(this.valueStart, this.valueStart + this.valueLength));
    }
    return this.#value;
  }
}

/** The batch's records, in its order. */
export function unpackRecords(batch: PackedBatch): PackedRecord[] {
  const { count, fields, bytes, topics } = batch;
  const records = new Array<PackedRecord>(count);
  let at = batch.bytesStart;
  for (let i = 0, f = 0; i < count; i++, f += FIELDS_PER_RECORD) {
    const valueLength = fields[f + VALUE_LENGTH] as number;
    const valueStart = at;
    if (valueLength > 0) at += valueLength;
    const keyLength = fields[f + KEY_LENGTH] as number;
    let key: Buffer | null = null;
    if (keyLength >= 0) {
      key = Buffer.from(bytes.subarray(at, at + keyLength));
      at += keyLength;
    }
    records[i] = new PackedRecord(
      topics[fields[f + TOPIC_INDEX] as number] as string,
      fields[f + PARTITION] as number,
      fields[f + OFFSET] as number,
      fields[f + TIMESTAMP] as number,
      key,
      bytes,
      valueStart,
      valueLength,
    );
  }
  return records;
}
