import type { TopicPartition } from "@kafka-fleet/kafka";
import type { RecordPosition } from "@kafka-fleet/processing";
import type { ConsumedMessage, ConsumerPort, TransactionPort } from "@kafka-fleet/worker/internal";

const keyOf = (topic: string, partition: number) => `${topic}/${partition}`;

/**
 * A group member without a broker, for the consume loops' unit tests: records are pushed in, fetched in order,
 * and commits and stored offsets are recorded. `revoke` plays a rebalance the way FleetConsumer does: the
 * partitions stop being owned at once, then the loop's revocation hook runs.
 */
export class FakeConsumer implements ConsumerPort {
  readonly topic: string;
  #waiting: ConsumedMessage[] = [];
  #arrived: (() => void) | undefined;
  readonly #owned = new Set<string>();
  /** Assigned in the client: a revoked partition stays assigned until the revocation hook returned. */
  readonly #assigned = new Set<string>();
  /** The committed offset (next to read) per "topic/partition". */
  readonly committed = new Map<string, number>();
  /** Offsets stored and not committed yet, per "topic/partition". */
  readonly stored = new Map<string, number>();
  /** Every commit accepted, in order. */
  readonly commits: RecordPosition[][] = [];
  /** Commits still to refuse (a rebalance under way), and how many were refused. */
  refuseCommits = 0;
  refused = 0;
  onRevoke: (partitions: readonly TopicPartition[], lost: boolean) => Promise<void> = () => Promise.resolve();

  constructor(topic = "input", partitions: readonly number[] = [0]) {
    this.topic = topic;
    for (const partition of partitions) {
      this.#owned.add(keyOf(topic, partition));
      this.#assigned.add(keyOf(topic, partition));
    }
  }

  /** Records the cluster will hand over on the next fetches. */
  push(...messages: ConsumedMessage[]): void {
    this.#waiting.push(...messages);
    this.#arrived?.();
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  /** Whether fetching is paused, and how many polls were made while it was. */
  paused = false;
  pausedPolls = 0;

  pauseOwned(): void {
    this.paused = true;
  }

  resumeOwned(): void {
    this.paused = false;
    this.#arrived?.();
  }

  /** `max` of every consume() call, in order. */
  readonly asked: number[] = [];

  async consume(max: number, timeoutMs: number): Promise<readonly ConsumedMessage[]> {
    this.asked.push(max);
    if (this.paused) {
      this.pausedPolls += 1;
      await new Promise((resolve) => setTimeout(resolve, timeoutMs));
      return [];
    }
    if (this.#waiting.length === 0) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.#arrived = resolve;
        timer = setTimeout(resolve, timeoutMs);
      });
      clearTimeout(timer);
      this.#arrived = undefined;
    }
    return this.#waiting.splice(0, max);
  }

  owns(topic: string, partition: number): boolean {
    return this.#owned.has(keyOf(topic, partition));
  }

  get ownedPartitions(): number {
    return this.#owned.size;
  }

  commitInBackground(offsets: readonly RecordPosition[]): Promise<void> {
    if (this.refuseCommits > 0) {
      this.refuseCommits -= 1;
      this.refused += 1;
      return Promise.reject(new Error("commit failed: the group is rebalancing"));
    }
    this.#accept(offsets);
    return Promise.resolve();
  }

  commitStored(): Promise<void> {
    const stored = [...this.stored].map(([key, offset]) => {
      const [topic = "", partition = ""] = key.split("/");
      return { topic, partition: Number(partition), offset };
    });
    this.stored.clear();
    if (stored.length > 0) this.#accept(stored);
    return Promise.resolve();
  }

  storeOffsets(offsets: readonly RecordPosition[]): void {
    for (const { topic, partition, offset } of offsets) {
      // As librdkafka does (ERR__STATE): only an assigned partition's offset can be stored.
      if (!this.#assigned.has(keyOf(topic, partition)))
        throw new Error(`${topic}[${partition}] is not assigned`);
      this.stored.set(keyOf(topic, partition), offset);
    }
  }

  /** A rebalance takes `partitions` away (lost: another member may have them already). */
  async revoke(partitions: readonly number[], lost = false): Promise<void> {
    const gone = partitions.map((partition) => ({ topic: this.topic, partition }));
    for (const { topic, partition } of gone) this.#owned.delete(keyOf(topic, partition));
    try {
      await this.onRevoke(gone, lost);
    } finally {
      for (const { topic, partition } of gone) this.#assigned.delete(keyOf(topic, partition));
    }
  }

  committedOffset(partition: number): number | undefined {
    return this.committed.get(keyOf(this.topic, partition));
  }

  #accept(offsets: readonly RecordPosition[]): void {
    this.commits.push(offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset })));
    for (const { topic, partition, offset } of offsets) this.committed.set(keyOf(topic, partition), offset);
  }
}

/** Transactions that only record what was asked of them. */
export class FakeTransactions implements TransactionPort {
  readonly steps: string[] = [];
  readonly committed: RecordPosition[][] = [];

  begin(): Promise<void> {
    this.steps.push("begin");
    return Promise.resolve();
  }

  /** Errors the next commits fail with, in order (e.g. Kafka refusing offsets after a rebalance). */
  readonly refusals: Error[] = [];

  commit(offsets: readonly RecordPosition[]): Promise<void> {
    this.steps.push("commit");
    const refusal = this.refusals.shift();
    if (refusal !== undefined) return Promise.reject(refusal);
    this.committed.push([...offsets]);
    return Promise.resolve();
  }

  abort(): Promise<void> {
    this.steps.push("abort");
    return Promise.resolve();
  }
}
