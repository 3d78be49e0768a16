import { byPartition, partitionKey, type RecordPosition } from "./positions.ts";

export interface FlushRules {
  /** Flush as soon as the batch holds this many records. */
  readonly maxSize: number;
  /** Flush a non-empty batch once its first record has waited this long, so a partial batch never sits forever. */
  readonly maxWaitMs: number;
}

/** "Flush now?" as a function of the batch's size and age: the whole batching policy, testable without Kafka. */
export function isBatchDue(size: number, ageMs: number, rules: FlushRules): boolean {
  return size >= rules.maxSize || (size > 0 && ageMs >= rules.maxWaitMs);
}

/** How long a poll may block before the batch falls due (capped at `idleMs` when the batch is empty). */
export function pollTimeoutMs(size: number, ageMs: number, rules: FlushRules, idleMs: number): number {
  if (size === 0) return idleMs;
  return Math.max(0, Math.min(idleMs, rules.maxWaitMs - ageMs));
}

/**
 * The offsets to commit after a batch: per partition, the offset after the highest one processed.
 * Kafka stores the next offset to read, so committing `offset` itself would replay the last record.
 */
export function commitOffsets(records: Iterable<RecordPosition>): RecordPosition[] {
  const next = new Map<string, RecordPosition>();
  for (const { topic, partition, offset } of records) {
    const key = partitionKey({ topic, partition });
    const known = next.get(key);
    if (known === undefined || offset + 1 > known.offset)
      next.set(key, { topic, partition, offset: offset + 1 });
  }
  return byPartition([...next.values()]);
}

/**
 * A batch's partitions, each with the offset to commit after it (the offset after its last record), keyed by
 * `partitionKey`. Records of one partition arrive in offset order and in runs (a fetch hands over a partition's
 * records together), so the work is per run: a record of the same partition as the one before it costs two
 * comparisons and an assignment, no key and no lookup. This runs once per batch over every record.
 */
export function batchPartitions(records: readonly RecordPosition[]): Map<string, RecordPosition> {
  const found = new Map<string, RecordPosition>();
  let i = 0;
  while (i < records.length) {
    const first = records[i] as RecordPosition;
    const { topic, partition } = first;
    let last = first.offset;
    for (i += 1; i < records.length; i += 1) {
      const record = records[i] as RecordPosition;
      if (record.partition !== partition || record.topic !== topic) break;
      last = record.offset;
    }
    // A partition seen in an earlier run: its later run holds its later records.
    found.set(partitionKey(first), { topic, partition, offset: last + 1 });
  }
  return found;
}

/** The same offsets as `commitOffsets`, for records in offset order per partition (see `batchPartitions`). */
export function lastOffsets(records: readonly RecordPosition[]): RecordPosition[] {
  return byPartition([...batchPartitions(records).values()]);
}

/** Records held until their batch is due; `startedAt` is when the first of them arrived. */
export class BatchAccumulator<T extends RecordPosition> {
  #records: T[] = [];
  #startedAt = 0;
  readonly #rules: FlushRules;

  constructor(rules: FlushRules) {
    this.#rules = rules;
  }

  get size(): number {
    return this.#records.length;
  }

  /** Room left before the batch is full: never fetch more than this, so a batch never exceeds maxSize. */
  get room(): number {
    return Math.max(0, this.#rules.maxSize - this.#records.length);
  }

  add(record: T, now: number): void {
    if (this.#records.length === 0) this.#startedAt = now;
    this.#records.push(record);
  }

  /** Adds many records at once (what one fetch brought). */
  addAll(records: readonly T[], now: number): void {
    if (records.length === 0) return;
    if (this.#records.length === 0) {
      this.#startedAt = now;
      this.#records = records.slice();
    } else {
      for (const record of records) this.#records.push(record);
    }
  }

  isDue(now: number): boolean {
    return isBatchDue(this.#records.length, now - this.#startedAt, this.#rules);
  }

  pollTimeoutMs(now: number, idleMs: number): number {
    return pollTimeoutMs(this.#records.length, now - this.#startedAt, this.#rules, idleMs);
  }

  /**
   * Hands over the held records, at most maxSize of them: what a fetch brought beyond them starts the next batch
   * (as if it had just arrived).
   */
  take(now = Date.now()): T[] {
    if (this.#records.length <= this.#rules.maxSize) {
      const records = this.#records;
      this.#records = [];
      return records;
    }
    this.#startedAt = now;
    return this.#records.splice(0, this.#rules.maxSize);
  }

  /** Forgets the records of partitions we no longer own (they were never processed, so nothing is lost). */
  drop(isGone: (record: T) => boolean): number {
    const before = this.#records.length;
    this.#records = this.#records.filter((record) => !isGone(record));
    return before - this.#records.length;
  }
}
