import type { Message } from "@kafka-fleet/kafka";
import { SerdeError, deserializeInt } from "@kafka-fleet/serde";

/** A record whose value decoded to an int64. */
export interface ValueRecord {
  readonly value: bigint;
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** The record's timestamp (ms since the epoch; the producer's create time). */
  readonly timestamp: number;
}

/** A record whose value is not an int64: it must never crash a consumer nor block its partition. */
export interface PoisonRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly error: SerdeError;
  readonly message: Message;
}

export type DecodedRecord =
  { readonly ok: true; readonly record: ValueRecord } | { readonly ok: false; readonly poison: PoisonRecord };

export function decodeMessage(message: Message): DecodedRecord {
  const { topic, partition, offset } = message;
  const timestamp = message.timestamp ?? Date.now();
  try {
    // Built in one literal: this runs once per record consumed.
    return {
      ok: true,
      record: { topic, partition, offset, timestamp, value: deserializeInt(message.value) },
    };
  } catch (error) {
    if (!(error instanceof SerdeError)) throw error;
    return { ok: false, poison: { topic, partition, offset, timestamp, error, message } };
  }
}
