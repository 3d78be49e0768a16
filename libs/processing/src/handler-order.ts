import { partitionKey, type RecordPosition } from "./positions.ts";

/**
 * Thrown by `HandlerTurn.next()` when the batch must start over: an earlier batch of one of its partitions is
 * being handed to the handler again (a retry), after this one already was. Not a failure of the records.
 */
export class ReplayNeeded extends Error {
  override readonly name = "ReplayNeeded";

  constructor() {
    super("an earlier batch of the same partitions is retried: this one is handed over again after it");
  }
}

/** What the processor asks of a batch's turn: before each handler call, and when it is about to call again. */
export interface HandlerTurns {
  /** Resolves once the batch may call the handler; rejects with ReplayNeeded when it must start over. */
  next(): Promise<void>;
  /** A call failed and the batch will call the handler again (a retry, or record by record). */
  retrying(): void;
}

interface Entry {
  readonly partitions: ReadonlySet<string>;
  /** It has called the handler in its current run. */
  called: boolean;
  /** It retries or replays: it keeps its partitions until its run is over, so that nothing overtakes it again. */
  troubled: boolean;
  /** Its current run is over (the processor returned or threw); final only once no earlier batch can undo it. */
  processed: boolean;
  /** An earlier batch of its partitions calls the handler again after this one's calls: it starts over. */
  invalidated: boolean;
}

/**
 * Keeps the handler's calls in offset order per partition while batches are pipelined. Batches register in the
 * order they are dispatched. A batch may call the handler once every earlier batch sharing a partition with it
 * has made its call and is not retrying: in the normal path, calls start in dispatch order and overlap (batch
 * N+1's call runs while batch N's results are acknowledged). When a batch fails and will call again, every later
 * batch of its partitions that has already called is invalidated (and, in turn, the later batches of theirs): they
 * are handed over again after it, in order, as after a restart. So each partition's records reach the handler in
 * offset order, a retry restarting the sequence from the retried batch, never skipping ahead of it.
 *
 * Pure bookkeeping, no I/O: the batch loop drives it.
 */
export class HandlerOrder {
  /** Batches not yet final, in dispatch order. */
  #entries: Entry[] = [];
  #changed = Promise.withResolvers<void>();

  /** Batches registered and not final yet. */
  get size(): number {
    return this.#entries.length;
  }

  /**
   * Registers a batch about to be dispatched (in dispatch order): the turn its processing goes by. `batch` is its
   * records, or the keys (`partitionKey`) of the partitions they are of.
   */
  register(batch: Iterable<RecordPosition> | Iterable<string>): HandlerTurn {
    const partitions = new Set<string>();
    for (const item of batch) partitions.add(typeof item === "string" ? item : partitionKey(item));
    const entry: Entry = { partitions, called: false, troubled: false, processed: false, invalidated: false };
    this.#entries.push(entry);
    return {
      next: () => this.#next(entry),
      retrying: () => this.#retrying(entry),
      settle: () => this.#settle(entry),
    };
  }

  async #next(entry: Entry): Promise<void> {
    while (!entry.invalidated && this.#blocked(entry)) await this.#changed.promise;
    if (entry.invalidated) throw new ReplayNeeded();
    entry.called = true;
    this.#notify();
  }

  #retrying(entry: Entry): void {
    entry.troubled = true;
    const reached = new Set(entry.partitions);
    for (const later of this.#entries.slice(this.#entries.indexOf(entry) + 1)) {
      if (!overlaps(later.partitions, reached)) continue;
      for (const partition of later.partitions) reached.add(partition);
      if (!later.called || later.invalidated) continue;
      later.invalidated = true;
      later.troubled = true;
      // It holds its partitions again at once: nothing later may call before its replay.
      later.processed = false;
    }
    this.#notify();
  }

  async #settle(entry: Entry): Promise<boolean> {
    if (!entry.invalidated) {
      entry.processed = true;
      this.#notify();
    }
    for (;;) {
      if (entry.invalidated) {
        entry.called = false;
        entry.processed = false;
        entry.invalidated = false;
        return false;
      }
      if (this.#isFinal(entry)) {
        this.#entries.splice(this.#entries.indexOf(entry), 1);
        this.#notify();
        return true;
      }
      await this.#changed.promise;
    }
  }

  /** Whether an earlier batch sharing a partition has not made its call yet, or retries. */
  #blocked(entry: Entry): boolean {
    for (const earlier of this.#entries) {
      if (earlier === entry) return false;
      if (holds(earlier) && overlaps(earlier.partitions, entry.partitions)) return true;
    }
    return false;
  }

  /** Processed, and no earlier batch of its partitions is left that could still undo it. */
  #isFinal(entry: Entry): boolean {
    if (!entry.processed || entry.invalidated) return false;
    for (const earlier of this.#entries) {
      if (earlier === entry) return true;
      if (overlaps(earlier.partitions, entry.partitions)) return false;
    }
    return true;
  }

  #notify(): void {
    const changed = this.#changed;
    this.#changed = Promise.withResolvers<void>();
    changed.resolve();
  }
}

/** One batch's place in a HandlerOrder. */
export interface HandlerTurn extends HandlerTurns {
  /**
   * Called once the batch's run is over (whatever its outcome). Resolves true once it is final (no earlier batch
   * of its partitions can undo it any more), false when it must be processed again from the start.
   */
  settle(): Promise<boolean>;
}

function holds(entry: Entry): boolean {
  return !entry.processed && (entry.troubled || !entry.called);
}

function overlaps(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  for (const partition of a) if (b.has(partition)) return true;
  return false;
}
