import { partitionKey, type RecordPosition } from "./positions.ts";
import { OffsetTracker } from "./offset-tracker.ts";

/**
 * What order records are handled in. Kafka promises order per partition only; `key` keeps the order users build
 * on (an account's events, an entity's updates) while different keys run concurrently. A record without a key
 * has no order to keep under `key`: its producer chose none (Kafka's partitioner spreads keyless records over the
 * partitions by batch, so their order across them is already gone), and making them wait for each other per
 * partition would hold a keyless stream to one record per partition at a time. `partition` keeps it.
 */
export const ORDERINGS = ["key", "partition", "unordered"] as const;
export type Ordering = (typeof ORDERINGS)[number];

/** A record as the scheduler sees it: its position and, for `key` ordering, its key (null/absent = no key). */
export interface KeyedPosition extends RecordPosition {
  readonly key?: Buffer | string | null | undefined;
}

/** Started records a lane's array may keep at its front before they are cut off (amortised O(1) per record). */
const COMPACT_AFTER = 1024;

/** Records of one lane run one after another in offset order; lanes run concurrently. */
interface Lane<T> {
  readonly id: string;
  readonly waiting: T[];
  /** Index of the next waiting record (an index instead of shift(): a hot key's lane can be long). */
  head: number;
  running: boolean;
}

interface PartitionState<T> {
  readonly lanes: Map<string, Lane<T>>;
  /** Records started and not completed, with their lane; identity also tells a stale completion from a live one. */
  readonly running: Map<T, Lane<T>>;
}

/**
 * Which record may start now, under an ordering and a cap on records in flight; and which offset is safe to
 * store as they complete. Pure: the single consumer feeds it what it fetched and what finished, and does the I/O.
 *
 * - `key`: one lane per (partition, key); a record without a key is a lane of its own (no order among them).
 * - `partition`: one lane per partition: strictly one after another.
 * - `unordered`: every record its own lane.
 *
 * Lanes whose next record is ready wait in one FIFO for a free slot, and a lane goes to its back after each
 * record, so a hot key takes its turn like any other and cannot starve the rest. Queued records count as pending
 * for the offsets: a stored offset never passes a record that has not run, whatever ran after it.
 */
export class OrderingQueue<T extends KeyedPosition> {
  readonly #ordering: Ordering;
  readonly #maxInFlight: number;
  readonly #partitions = new Map<string, PartitionState<T>>();
  readonly #tracker = new OffsetTracker();
  /** Lanes not running whose next record is waiting for a slot, oldest first (a Set keeps insertion order). */
  readonly #ready = new Set<Lane<T>>();
  /** Records still running for partitions forgotten since: they hold a slot until they end, and store nothing. */
  readonly #orphans = new Set<T>();
  #inFlight = 0;
  #queued = 0;

  constructor(ordering: Ordering, maxInFlight: number) {
    if (!Number.isInteger(maxInFlight) || maxInFlight < 1) throw new RangeError("maxInFlight must be ≥ 1");
    this.#ordering = ordering;
    this.#maxInFlight = maxInFlight;
  }

  /** Records started and not completed. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Records accepted and not started yet (what a hot key piles up; the caller bounds it by fetching less). */
  get queued(): number {
    return this.#queued;
  }

  inFlightIn(topic: string, partition: number): number {
    return this.#partitions.get(partitionKey({ topic, partition }))?.running.size ?? 0;
  }

  /** Accepts a fetched record. Records of one partition must arrive in offset order, as Kafka delivers them. */
  add(record: T): void {
    const key = partitionKey(record);
    let state = this.#partitions.get(key);
    if (state === undefined) {
      state = { lanes: new Map(), running: new Map() };
      this.#partitions.set(key, state);
    }
    const id = this.#laneOf(record);
    let lane = state.lanes.get(id);
    if (lane === undefined) {
      lane = { id, waiting: [], head: 0, running: false };
      state.lanes.set(id, lane);
    }
    lane.waiting.push(record);
    this.#queued += 1;
    this.#tracker.start(record);
    if (!lane.running) this.#ready.add(lane);
  }

  /** The records to start now, marked as in flight: the next of each ready lane, while slots are free. */
  next(): T[] {
    const started: T[] = [];
    for (const lane of this.#ready) {
      if (this.#inFlight >= this.#maxInFlight) break;
      this.#ready.delete(lane);
      const record = lane.waiting[lane.head];
      if (record === undefined) continue;
      lane.head += 1;
      if (lane.head === lane.waiting.length) {
        lane.waiting.length = 0;
        lane.head = 0;
      } else if (lane.head >= COMPACT_AFTER && lane.head * 2 >= lane.waiting.length) {
        // A hot key's lane may never run empty: drop the started records from its front now and then, or the
        // array would keep every record the key ever had.
        lane.waiting.splice(0, lane.head);
        lane.head = 0;
      }
      lane.running = true;
      this.#partitions.get(partitionKey(record))?.running.set(record, lane);
      this.#queued -= 1;
      this.#inFlight += 1;
      started.push(record);
    }
    return started;
  }

  /**
   * Marks a started record as done (processed or dead-lettered). Returns the position now safe to store for its
   * partition, or undefined when nothing new is safe (or the record belongs to a partition forgotten since).
   * Call `next()` afterwards: its lane's next record may start now.
   */
  complete(record: T): RecordPosition | undefined {
    if (this.#orphans.delete(record)) {
      this.#inFlight -= 1;
      return undefined;
    }
    const state = this.#partitions.get(partitionKey(record));
    const lane = state?.running.get(record);
    if (state === undefined || lane === undefined) return undefined;
    state.running.delete(record);
    this.#inFlight -= 1;
    lane.running = false;
    if (lane.head < lane.waiting.length) this.#ready.add(lane);
    else if (state.lanes.get(lane.id) === lane) state.lanes.delete(lane.id);
    return this.#tracker.complete(record);
  }

  /**
   * A partition is being taken away: drops its queued records (the next owner gets them from the committed
   * offset) and returns how many. Its records in flight stay, so that their completions can still be stored;
   * call `forget` once they are done (or at once, when the partition was lost).
   */
  revoke(topic: string, partition: number): number {
    const state = this.#partitions.get(partitionKey({ topic, partition }));
    if (state === undefined) return 0;
    let dropped = 0;
    for (const lane of state.lanes.values()) {
      dropped += lane.waiting.length - lane.head;
      lane.waiting.length = 0;
      lane.head = 0;
      this.#ready.delete(lane);
    }
    state.lanes.clear();
    this.#queued -= dropped;
    return dropped;
  }

  /** Forgets a partition entirely; completions of its records still running are ignored from now on. */
  forget(topic: string, partition: number): void {
    const key = partitionKey({ topic, partition });
    const state = this.#partitions.get(key);
    if (state === undefined) return;
    this.revoke(topic, partition);
    for (const record of state.running.keys()) this.#orphans.add(record);
    this.#partitions.delete(key);
    this.#tracker.forget(topic, partition);
  }

  #laneOf(record: T): string {
    switch (this.#ordering) {
      case "partition":
        return "";
      case "unordered":
        return String(record.offset);
      case "key": {
        const { key } = record;
        if (key === null || key === undefined) return String(record.offset);
        // latin1 maps each byte to one char, so distinct byte keys stay distinct; the prefix keeps an empty key
        // apart from "no key".
        return `k${typeof key === "string" ? key : key.toString("latin1")}`;
      }
    }
  }
}
