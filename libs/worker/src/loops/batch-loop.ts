import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";

import { COMMIT_RETRY_MS } from "@kafka-fleet/kafka/tunables";
import {
  BatchPipeline,
  HandlerOrder,
  PendingCommits,
  batchPartitions,
  byPartition,
  type HandlerTurn,
  type RecordPosition,
} from "@kafka-fleet/processing";
import { asError, errorFields, messageOf } from "@kafka-fleet/service";

import type { ConsumedMessage } from "../record.ts";
import { BatchCore, type BatchLoopParts } from "./batch-core.ts";
import { Serial } from "./serial.ts";

/** What the log and the metrics say about a batch once it is committed. */
interface BatchInfo {
  readonly size: number;
  readonly reason: string;
  readonly started: number;
}

export interface BatchLoopOptions extends BatchLoopParts {
  /**
   * Batches that may be under way and not committed at once (BATCH_MAX_UNCOMMITTED): batch N+1 is processed
   * while batch N's results are acknowledged and its offsets committed. 1 = each batch is committed before the
   * next one is processed. A crash may repeat this many batches. A batch whose commit was refused still counts:
   * at the bound no new batch starts until a commit goes through.
   */
  readonly maxUncommitted: number;
  /** Pause before retrying a refused commit that no newer batch carries (default COMMIT_RETRY_MS). */
  readonly commitRetryMs?: number;
}

/**
 * At least once: processes each batch whole, then commits, per partition, the offset after the last record
 * processed. A batch that fails is not committed, nor is any batch after it. Up to `maxUncommitted` batches are
 * under way at once: their processing overlaps the acknowledgements and commits of the ones before them, and
 * their commits go out in order, each one only after its batch (and every batch before it) succeeded.
 */
export class BatchLoop extends BatchCore {
  readonly #maxUncommitted: number;
  readonly #commitRetryMs: number;
  readonly #pipeline = new BatchPipeline<BatchInfo>();
  /** Keeps the handler's calls in offset order per partition across retries (see HandlerOrder). */
  readonly #order = new HandlerOrder();
  readonly #pending = new PendingCommits();
  /**
   * Batches processed whose commit was refused (the coordinator moving, a rebalance): their offsets stay pending
   * and they count against maxUncommitted until a commit carries them (or their partitions are gone).
   */
  #deferred: BatchInfo[] = [];
  /** Commits run one at a time: the commit loop, its retries and the last try when stopping. */
  readonly #commits = new Serial();
  /** Set once run() is over: a refused commit is not retried after that. */
  #finished = false;
  #committing = false;
  #changed = Promise.withResolvers<void>();

  constructor(options: BatchLoopOptions) {
    super(options);
    this.#maxUncommitted = options.maxUncommitted;
    this.#commitRetryMs = options.commitRetryMs ?? COMMIT_RETRY_MS;
  }

  protected override async finish(): Promise<void> {
    try {
      await this.allCommitted();
      if (this.failure !== undefined) throw this.failure;
      // A commit refused on the way (a rebalance) still has its offsets pending: one more try.
      await this.#commitPending([]);
    } finally {
      this.#finished = true;
    }
  }

  /** Batches processed or under way whose offsets are not committed: what a crash now would repeat. */
  get #uncommitted(): number {
    return this.#pipeline.uncommitted + this.#deferred.length;
  }

  protected override dropPending(isGone: (position: RecordPosition) => boolean): readonly RecordPosition[] {
    return this.#pending.drop(isGone);
  }

  /**
   * Hands the batch in hand (if any) over for processing, once fewer than maxUncommitted batches are under way.
   * Serialised, so batches start in the order they were filled.
   */
  protected override dispatch(reason: string): Promise<void> {
    return this.exclusive.run(async () => {
      // Refused commits count too: while the group has no coordinator, processing stops at the bound instead of
      // piling up batches that a lost session would make another member redo.
      while (this.#uncommitted >= this.#maxUncommitted && this.failure === undefined) {
        await this.#changed.promise;
      }
      const messages = this.batch.take();
      if (messages.length === 0 || this.failure !== undefined) return;
      const info = { size: messages.length, reason, started: performance.now() };
      // One pass over the records' runs of partitions: what to commit after the batch, and whose turn it takes.
      const partitions = batchPartitions(messages);
      const started = this.#pipeline.start(byPartition([...partitions.values()]), info);
      const turn = this.#order.register(partitions.keys());
      void this.#processInOrder(messages, turn)
        .then(
          () => this.#pipeline.finish(started, true),
          (error: unknown) => {
            this.#pipeline.finish(started, false);
            this.failure ??= asError(error);
          },
        )
        .finally(() => {
          this.#startCommits();
          this.#notifyChange();
        });
    });
  }

  /**
   * Processes a batch in its turn (HandlerOrder): when an earlier batch of its partitions is retried after this
   * one was handed to the handler, this one is processed again, from the start, after it, as a restart would
   * (at least once: its records may be handled twice, never out of order). Counted once, when final.
   */
  async #processInOrder(messages: ConsumedMessage[], turn: HandlerTurn): Promise<void> {
    for (;;) {
      let processed = 0;
      let failure: { error: unknown } | undefined;
      try {
        processed = await this.parts.processor.process(messages, { turns: turn });
      } catch (error) {
        failure = { error };
      }
      if (await turn.settle()) {
        if (failure !== undefined) throw failure.error;
        this.count(messages, processed);
        return;
      }
      const first = messages[0];
      this.parts.logger.warn({
        event: "batch.replayed",
        size: messages.length,
        partition: first?.partition,
        offset: first?.offset,
      });
    }
  }

  /**
   * Commits processed batches, oldest first, one commit at a time (several batches at once if they are ready).
   * A refused commit is carried by the next one, or tried again after a pause when no newer batch is ready.
   */
  #startCommits(): void {
    if (this.#committing) return;
    this.#committing = true;
    void (async () => {
      try {
        for (;;) {
          const taken = this.#pipeline.takeCommittable();
          if (taken === "failed" || (taken === undefined && !this.#shouldRetryCommit())) {
            // Decided in the same turn as the check: a batch finishing now starts a new loop.
            this.#committing = false;
            return;
          }
          if (taken === undefined) {
            await sleep(this.#commitRetryMs);
            if (this.#shouldRetryCommit()) await this.#commitPending([]);
          } else {
            this.#pending.add(taken.offsets);
            await this.#commitPending(taken.batches);
            this.#pipeline.commitAnswered(taken.batches.length);
          }
          this.#notifyChange();
        }
      } catch (error) {
        this.#committing = false;
        this.failure ??= asError(error);
      } finally {
        this.#notifyChange();
      }
    })();
  }

  #shouldRetryCommit(): boolean {
    return this.#deferred.length > 0 && !this.#finished && this.failure === undefined;
  }

  protected override async allCommitted(): Promise<void> {
    while (this.#pipeline.uncommitted > 0 && this.failure === undefined) await this.#changed.promise;
  }

  #notifyChange(): void {
    const changed = this.#changed;
    this.#changed = Promise.withResolvers<void>();
    changed.resolve();
  }

  /** Commits what is pending for partitions we own (or are revoking); logs `batches` once it is committed. */
  #commitPending(batches: readonly BatchInfo[]): Promise<void> {
    return this.#commits.run(() => this.#commitPendingNow(batches));
  }

  async #commitPendingNow(batches: readonly BatchInfo[]): Promise<void> {
    const { consumer, logger } = this.parts;
    const ours = (position: RecordPosition) => this.isOurs(position);
    // Offsets of partitions that went while their batch was under way are not ours to commit any more.
    this.#pending.drop((position) => !ours(position));
    const offsets = this.#pending.select(ours);
    const described = offsets.map(({ partition, offset }) => `${partition}:${offset}`).join(",");
    const covered = [...this.#deferred, ...batches];
    if (offsets.length === 0) {
      // Every partition they covered is gone: another member owns their records now, nothing is left to commit.
      this.#deferred = [];
      return;
    }
    try {
      await consumer.commitInBackground(offsets);
    } catch (error) {
      // The group has no coordinator for now, or a rebalance is under way. The offsets stay pending and go out
      // with the next commit; the batches are not processed again unless their partitions move before then.
      this.#deferred = covered;
      logger.warn({
        event: "batch.commit_deferred",
        offsets: described,
        ...errorFields(error),
        // The labs' narration reads it.
        message: messageOf(error),
      });
      return;
    }
    this.#deferred = [];
    this.#pending.settle(offsets);
    if (covered.length === 0) return;
    const now = performance.now();
    let size = 0;
    for (const batch of covered) {
      this.observeDone(batch.started, now);
      size += batch.size;
    }
    logger.info({
      event: "batch.committed",
      size,
      batches: covered.length,
      reason: covered.at(-1)?.reason,
      offsets: described,
    });
  }
}
