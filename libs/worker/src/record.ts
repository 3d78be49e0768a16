import { PackedRecord, type MessageHeader } from "@kafka-fleet/kafka";
import { INT64_DECODE_FAILURES, SerdeError, deserializeInt, deserializeIntAt } from "@kafka-fleet/serde";
import { isCodedFailure, messageOf } from "@kafka-fleet/service";

/** A record as the consumer hands it over: what the loops need of librdkafka's `Message`. */
export interface ConsumedMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key?: Buffer | string | null | undefined;
  readonly value: Buffer | null;
  /** ms since the epoch (the producer's create time, or the log append time if the topic says so). */
  readonly timestamp?: number | undefined;
  readonly headers?: MessageHeader[] | undefined;
}

/** A record as a handler sees it: its value decoded by the worker's deserializer. */
export interface WorkerRecord<T> {
  readonly key: Buffer | null;
  readonly value: T;
  readonly headers: readonly MessageHeader[];
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** ms since the epoch (the producer's create time, or the log append time if the topic says so). */
  readonly timestamp: number;
  /**
   * Share mode only: which delivery of the record this is, counted by the broker (1 the first; a record released
   * after a failure comes back with the next count, possibly to another member).
   */
  readonly deliveryCount?: number;
}

/**
 * Turns a record's value bytes (null for a tombstone) into what the handler works on. Throwing marks the record
 * as poison: it goes to the dead-letter topic, its offset is committed, and the handler never sees it.
 * `failureCodes`, when given, are the codes it throws (a `SerdeError`'s, or any error's own `code`): the
 * dead-letter reasons its worker's `/metrics` shows at 0 from the start. Without it, `DESERIALIZATION_FAILED`.
 */
export type Deserializer<T> = ((value: Buffer | null, message: ConsumedMessage) => T) & {
  readonly failureCodes?: readonly string[];
  /**
   * The same decoding, of the `length` bytes at `start` in `bytes` (-1: a null value), read where they are: the
   * values of a batch the consumer got packed are decoded this way when it is given, with no Buffer per value.
   * Same values, same errors as the function.
   */
  readonly readAt?: (bytes: Buffer, start: number, length: number) => T;
};

/** The default: values are int64s, 8 bytes big-endian (see libs/serde). */
export const int64Values: Deserializer<bigint> = Object.assign(
  (value: Buffer | null) => deserializeInt(value),
  {
    failureCodes: INT64_DECODE_FAILURES,
    readAt: deserializeIntAt,
  },
);

const NO_HEADERS: readonly MessageHeader[] = Object.freeze([]);

/**
 * The handler's view of a consumed record, built in one literal: this runs once per record consumed. Throws
 * what the deserializer throws.
 */
export function toWorkerRecord<T>(message: ConsumedMessage, deserialize: Deserializer<T>): WorkerRecord<T> {
  const { key } = message;
  return {
    key: key === null || key === undefined ? null : typeof key === "string" ? Buffer.from(key) : key,
    value: decodeValue(message, deserialize),
    headers: message.headers ?? NO_HEADERS,
    topic: message.topic,
    partition: message.partition,
    offset: message.offset,
    timestamp: message.timestamp ?? Date.now(),
  };
}

/** A record's value as the deserializer makes it: read in place from a packed batch when it can be. */
function decodeValue<T>(message: ConsumedMessage, deserialize: Deserializer<T>): T {
  const { readAt } = deserialize;
  if (readAt !== undefined && message instanceof PackedRecord) {
    return readAt(message.valueIn, message.valueStart, message.valueLength);
  }
  return deserialize(message.value, message);
}

/** Dead letters of records that could not be decoded carry this code unless the error brings its own. */
export const DESERIALIZATION_FAILED = "DESERIALIZATION_FAILED";

/** The dead-letter reasons a deserializer can give: its own list, or the one code for whatever it throws. */
export function decodeFailureCodes(deserialize: Deserializer<unknown>): readonly string[] {
  return deserialize.failureCodes ?? [DESERIALIZATION_FAILED];
}

/**
 * Why a record could not be decoded, for its dead letter: the serde's stable code, or one code for whatever a
 * deserializer of your own threw (a metric label must not take one value per error text).
 */
export function poisonCause(error: unknown): { code: string; message: string } {
  const message = messageOf(error);
  if (error instanceof SerdeError || isCodedFailure(error)) return { code: error.code, message };
  return { code: DESERIALIZATION_FAILED, message };
}
