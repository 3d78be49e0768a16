import { byPartition, partitionKey as keyOf, type RecordPosition } from "./positions.ts";

/**
 * Offsets of processed records that are not committed yet, per partition (the next offset to read).
 * A commit refused during a rebalance ("generation id is not valid") is not a reason to process the batch
 * again: its offsets stay here and go out with the next commit of a partition we still own.
 */
export class PendingCommits {
  readonly #next = new Map<string, RecordPosition>();

  get size(): number {
    return this.#next.size;
  }

  /** Records offsets to commit; a partition keeps the highest. */
  add(offsets: Iterable<RecordPosition>): void {
    for (const offset of offsets) {
      const known = this.#next.get(keyOf(offset));
      if (known === undefined || offset.offset > known.offset) this.#next.set(keyOf(offset), { ...offset });
    }
  }

  /** The offsets of the partitions `canCommit` accepts, sorted by topic and partition. */
  select(canCommit: (position: RecordPosition) => boolean): RecordPosition[] {
    return byPartition([...this.#next.values()].filter(canCommit));
  }

  /** Forgets what a successful commit covered (a later, higher offset added meanwhile stays). */
  settle(committed: Iterable<RecordPosition>): void {
    for (const position of committed) {
      const known = this.#next.get(keyOf(position));
      if (known !== undefined && known.offset <= position.offset) this.#next.delete(keyOf(position));
    }
  }

  /** Drops and returns the offsets of partitions that are gone. */
  drop(isGone: (position: RecordPosition) => boolean): RecordPosition[] {
    const dropped = [...this.#next.values()].filter(isGone);
    for (const position of dropped) this.#next.delete(keyOf(position));
    return dropped;
  }
}
