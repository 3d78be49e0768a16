import type { RecordPosition } from "@kafka-fleet/processing";

import type { ConsumedMessage } from "../record.ts";

/**
 * What the consume loops need of a group member; `FleetConsumer` is one (structurally), and the unit tests drive
 * the loops through a fake one. Offsets are always the next offset to read.
 */
export interface ConsumerPort {
  /** Up to `max` records, waiting at most `timeoutMs` for the first one. */
  consume(max: number, timeoutMs: number): Promise<readonly ConsumedMessage[]>;
  /** Whether the partition is assigned to us now (false as soon as its revocation began). */
  owns(topic: string, partition: number): boolean;
  readonly ownedPartitions: number;
  /** Commits and resolves once the group's coordinator holds the offsets; rejects if it refused them. */
  commitInBackground(offsets: readonly RecordPosition[]): Promise<void>;
  /** Commits the offsets stored so far, and resolves once the broker accepted them. */
  commitStored(): Promise<void>;
  /** Stops fetching from the partitions owned now (records fetched ahead are dropped, fetched again on resume). */
  pauseOwned(): void;
  /** Fetches again from every partition owned now. */
  resumeOwned(): void;
  /** Marks records as processed; the client commits what is stored now and then. Throws if not assigned. */
  storeOffsets(offsets: readonly RecordPosition[]): void;
}

/**
 * Exactly-once: a batch's writes and its input offsets in one Kafka transaction. `commit` adds the offsets (with
 * the consumer's group metadata, so a fenced member cannot commit) and commits.
 */
export interface TransactionPort {
  begin(): Promise<void>;
  commit(offsets: readonly RecordPosition[]): Promise<void>;
  abort(): Promise<void>;
}
