import { partitionKey as keyOf, type RecordPosition } from "./positions.ts";

interface PartitionState {
  /** Offsets started and not yet completed; a Set iterates in insertion order, so the first is the oldest. */
  readonly pending: Set<number>;
  highestDone: number;
}

/**
 * Which offset is safe to store while records of a partition finish out of order (e.g. their results are
 * acknowledged at different times). A stored offset promises that every record before it is done, so it only
 * moves up to the oldest record still pending, or past the highest completed one when none is pending.
 */
export class OffsetTracker {
  readonly #partitions = new Map<string, PartitionState>();

  /** Marks a record as started. Records of one partition must start in offset order (as Kafka delivers them). */
  start(record: RecordPosition): void {
    const key = keyOf(record);
    let state = this.#partitions.get(key);
    if (state === undefined) {
      state = { pending: new Set(), highestDone: -1 };
      this.#partitions.set(key, state);
    }
    state.pending.add(record.offset);
  }

  /**
   * Marks a started record as completed. Returns the position now safe to store for its partition, or undefined
   * when completing this record did not move it (an older record is still pending).
   */
  complete(record: RecordPosition): RecordPosition | undefined {
    const state = this.#partitions.get(keyOf(record));
    if (state === undefined || !state.pending.delete(record.offset)) return undefined;
    state.highestDone = Math.max(state.highestDone, record.offset);

    const oldestPending = state.pending.values().next().value;
    if (oldestPending === undefined) return { ...position(record), offset: state.highestDone + 1 };
    if (oldestPending > record.offset) return { ...position(record), offset: oldestPending };
    return undefined;
  }

  /** Records started and not completed, over all partitions. */
  get pendingCount(): number {
    let count = 0;
    for (const state of this.#partitions.values()) count += state.pending.size;
    return count;
  }

  pendingIn(topic: string, partition: number): number {
    return this.#partitions.get(keyOf({ topic, partition }))?.pending.size ?? 0;
  }

  /** Forgets a partition (after it was revoked); a later start begins afresh. */
  forget(topic: string, partition: number): void {
    this.#partitions.delete(keyOf({ topic, partition }));
  }
}

function position(record: RecordPosition): { topic: string; partition: number } {
  return { topic: record.topic, partition: record.partition };
}
