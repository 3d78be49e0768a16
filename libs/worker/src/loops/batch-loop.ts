import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";

import type { TopicPartition } from "@kafka-fleet/kafka";
import {
  BatchAccumulator,
  BatchPipeline,
  PendingCommits,
  commitOffsets,
  lastOffsets,
  partitionKey as keyOf,
  type FlushRules,
  type RecordPosition,
} from "@kafka-fleet/processing";
import {
  FleetError,
  asError,
  describeError,
  errorFields,
  messageOf,
  type Health,
  type Logger,
} from "@kafka-fleet/service";

import type { DeadLetterSink } from "../dead-letter.ts";
import type { BatchMetrics, ConsumerMetrics } from "../metrics.ts";
import type { Processor } from "../processor.ts";
import type { ConsumedMessage } from "../record.ts";
import { isTransientFailure } from "../failures.ts";
import {
  TRANSACTION_FAILED,
  commitInTransaction,
  isolateInTransactions,
  type TransactionScope,
} from "./in-transaction.ts";
import type { ConsumerPort, TransactionPort } from "./consumer-port.ts";

/** How long one poll may block while no batch is open: bounds how late a stop request is noticed. */
const IDLE_POLL_MS = 200;
/** Records per batch whose end-to-end latency is observed, evenly spaced: a histogram needs no more. */
const LATENCY_SAMPLES = 16;
/**
 * Pause before a refused commit is tried again when no newer batch is ready to carry it. Each attempt already
 * waits inside librdkafka while the group has no coordinator, so this only spaces out quick refusals.
 */
const COMMIT_RETRY_MS = 500;

/** What the log and the metrics say about a batch once it is committed. */
interface BatchInfo {
  readonly size: number;
  readonly reason: string;
  readonly started: number;
}

export interface BatchLoopOptions {
  readonly rules: FlushRules;
  /**
   * Batches that may be under way and not committed at once (BATCH_MAX_UNCOMMITTED): batch N+1 is processed
   * while batch N's results are acknowledged and its offsets committed. 1 = each batch is committed before the
   * next one is processed. A crash may repeat this many batches. A batch whose commit was refused still counts:
   * at the bound no new batch starts until a commit goes through.
   */
  readonly maxUncommitted: number;
  /** Pause before retrying a refused commit that no newer batch carries (default COMMIT_RETRY_MS). */
  readonly commitRetryMs?: number;
  readonly logger: Logger;
  readonly metrics: ConsumerMetrics & BatchMetrics;
  readonly health: Health;
}

/**
 * Fills a batch up to maxSize records or until maxWaitMs after its first record, processes the whole batch,
 * then commits, per partition, the offset after the last record processed. A batch that fails is not committed,
 * nor is any batch after it. Up to `maxUncommitted` batches are under way at once: their processing overlaps
 * the acknowledgements and commits of the ones before them, and their commits go out in order, each one only
 * after its batch (and every batch before it) succeeded.
 */
export class BatchLoop {
  readonly #options: BatchLoopOptions;
  readonly #batch: BatchAccumulator<ConsumedMessage>;
  readonly #pipeline = new BatchPipeline<BatchInfo>();
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
  /** Partitions being revoked: still ours to commit until the revocation is done. */
  readonly #revoking = new Set<string>();
  #consumer: ConsumerPort | undefined;
  #processor: Processor = { process: () => Promise.resolve(0) };
  #transactions: TransactionPort | undefined;
  /** Exactly-once: where the records a handler keeps rejecting go, each in a transaction of its own. */
  #deadLetters: DeadLetterSink | undefined;
  /** Dispatches and revocations, one at a time, in the order they were asked for. */
  readonly #exclusive = new Serial();
  #committing = false;
  #failure: Error | undefined;
  #changed = Promise.withResolvers<void>();

  constructor(options: BatchLoopOptions) {
    this.#options = options;
    this.#batch = new BatchAccumulator(options.rules);
  }

  /**
   * Polls until `signal` is aborted, then finishes the batch in hand and waits for every commit. With
   * `transactions`, each batch is processed and committed in its own transaction before the next one starts.
   */
  async run(
    consumer: ConsumerPort,
    work: {
      processor: Processor;
      transactions?: TransactionPort | undefined;
      /** Exactly-once: without it, a batch the handler rejects fails the loop instead of being isolated. */
      deadLetters?: DeadLetterSink | undefined;
    },
    signal: AbortSignal,
  ): Promise<void> {
    this.#consumer = consumer;
    this.#processor = work.processor;
    this.#transactions = work.transactions;
    this.#deadLetters = work.deadLetters;
    const { health } = this.#options;
    let fetching = this.#fetch(this.#batch.room, IDLE_POLL_MS);
    while (!signal.aborted && this.#failure === undefined) {
      this.#accept(await fetching);
      health.beat();
      if (this.#batch.isDue(Date.now())) {
        // Fetch the next batch while this one is processed and committed: consume() runs on a worker thread,
        // so its polling overlaps the handler's awaits and the commit's round trip. One consume() at a time
        // keeps each partition's records in order; what it brings joins the next batch.
        fetching = this.#fetch(this.#options.rules.maxSize, IDLE_POLL_MS);
        await this.#dispatch("full or waited long enough");
      } else {
        fetching = this.#fetch(
          Math.max(1, this.#batch.room),
          this.#batch.pollTimeoutMs(Date.now(), IDLE_POLL_MS),
        );
      }
    }
    // Records already fetched are processed with the batch in hand rather than left for redelivery.
    const last = await fetching;
    if (this.#failure === undefined) {
      this.#accept(last);
      await this.#dispatch("stopping");
    }
    try {
      await this.#allCommitted();
      if (this.#failure !== undefined) throw this.#failure;
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

  #fetch(max: number, timeoutMs: number): Promise<readonly ConsumedMessage[]> {
    const fetching = this.#consumer?.consume(max, timeoutMs) ?? Promise.resolve([]);
    // If a flush fails while this fetch is under way, nobody awaits it: its failure must not go unhandled.
    fetching.catch(() => undefined);
    return fetching;
  }

  #accept(messages: readonly ConsumedMessage[]): void {
    const consumer = this.#consumer;
    if (consumer === undefined || messages.length === 0) return;
    this.#options.metrics.messagesConsumed.inc(messages.length);
    const now = Date.now();
    // A record fetched before its partition was revoked is not ours to process any more. Records come in runs
    // of one partition: ask once per run, and take the whole fetch at once when every record is ours.
    let allOwned = true;
    let previous: ConsumedMessage | undefined;
    for (const message of messages) {
      if (
        previous !== undefined &&
        previous.partition === message.partition &&
        previous.topic === message.topic
      )
        continue;
      previous = message;
      if (!consumer.owns(message.topic, message.partition)) {
        allOwned = false;
        break;
      }
    }
    if (allOwned) this.#batch.addAll(messages, now);
    else
      this.#batch.addAll(
        messages.filter((message) => consumer.owns(message.topic, message.partition)),
        now,
      );
  }

  /** The consumer's revocation hook: finish and commit every batch under way before the partitions go. */
  readonly onRevoke = async (partitions: readonly TopicPartition[], lost: boolean): Promise<void> => {
    const gone = new Set(partitions.map(keyOf));
    const isGone = (position: { topic: string; partition: number }) => gone.has(keyOf(position));
    if (!lost) {
      for (const key of gone) this.#revoking.add(key);
      try {
        await this.#dispatch("partitions revoked");
        await this.#allCommitted();
      } finally {
        for (const key of gone) this.#revoking.delete(key);
      }
    }
    // Lost partitions may belong to another member already: our commit would be refused, so their records in
    // hand are dropped unprocessed and come back to the new owner. Nothing is lost either way. After the batch
    // being handed over (an exactly-once transaction is finished first, as before).
    await this.#exclusive.run(() => {
      const dropped = this.#batch.drop(isGone);
      const uncommitted = this.#pending.drop(isGone);
      if (dropped > 0 || uncommitted.length > 0) {
        this.#options.logger.warn({
          event: "batch.partitions_gone",
          lost,
          droppedRecords: dropped,
          uncommitted: uncommitted.map(({ partition, offset }) => `${partition}:${offset}`).join(","),
        });
      }
      return Promise.resolve();
    });
  };

  /**
   * Hands the batch in hand (if any) over for processing, once fewer than maxUncommitted batches are under way.
   * Serialised, so batches start in the order they were filled.
   */
  #dispatch(reason: string): Promise<void> {
    return this.#exclusive.run(async () => {
      const consumer = this.#consumer;
      if (consumer === undefined) return;
      if (this.#transactions !== undefined) {
        const messages = this.#batch.take();
        const batch = { reason, size: messages.length, started: performance.now() };
        if (messages.length > 0) await this.#processInTransaction(this.#transactions, messages, batch);
        return;
      }
      // Refused commits count too: while the group has no coordinator, processing stops at the bound instead of
      // piling up batches that a lost session would make another member redo.
      while (this.#uncommitted >= this.#options.maxUncommitted && this.#failure === undefined) {
        await this.#changed.promise;
      }
      const messages = this.#batch.take();
      if (messages.length === 0 || this.#failure !== undefined) return;
      const info = { size: messages.length, reason, started: performance.now() };
      const offsets = lastOffsets(messages, consumer.ownedPartitions + this.#revoking.size || Infinity);
      const started = this.#pipeline.start(offsets, info);
      void this.#process(messages, false)
        .then(
          () => this.#pipeline.finish(started, true),
          (error: unknown) => {
            this.#pipeline.finish(started, false);
            this.#failure ??= asError(error);
          },
        )
        .finally(() => {
          this.#startCommits();
          this.#notifyChange();
        });
    });
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
            await sleep(this.#options.commitRetryMs ?? COMMIT_RETRY_MS);
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
        this.#failure ??= asError(error);
      } finally {
        this.#notifyChange();
      }
    })();
  }

  #shouldRetryCommit(): boolean {
    return this.#deferred.length > 0 && !this.#finished && this.#failure === undefined;
  }

  /** Resolves once nothing is under way and uncommitted (or a batch failed). */
  async #allCommitted(): Promise<void> {
    while (this.#pipeline.uncommitted > 0 && this.#failure === undefined) await this.#changed.promise;
  }

  #notifyChange(): void {
    const changed = this.#changed;
    this.#changed = Promise.withResolvers<void>();
    changed.resolve();
  }

  /**
   * Exactly-once: the batch's results, its dead letters and its input offsets are written in one transaction, so
   * read_committed readers see all of a batch or none of it. A rebalance that refuses the transaction's offsets
   * makes it be redone on the records still ours (see commitInTransaction). A batch the handler rejects is
   * redone record by record, each in its own transaction, and the records it still rejects are dead-lettered in
   * theirs: no retries inside a transaction (a retry would write twice), and no crash loop on one bad record.
   * A failure of the infrastructure aborts the transaction and ends the service (exit 1); after the restart the
   * batch is processed again from the committed offsets, and the aborted attempt's writes stay invisible.
   */
  async #processInTransaction(
    transactions: TransactionPort,
    messages: ConsumedMessage[],
    batch: { reason: string; size: number; started: number },
  ): Promise<void> {
    const consumer = this.#consumer;
    if (consumer === undefined) return;
    const { logger, metrics } = this.#options;
    const scope: TransactionScope = {
      transactions,
      logger,
      // Partitions being revoked are still ours until the revocation is done.
      isOurs: (position) =>
        consumer.owns(position.topic, position.partition) || this.#revoking.has(keyOf(position)),
    };
    const work = (records: readonly ConsumedMessage[]) => this.#process([...records], true);
    let committed: readonly ConsumedMessage[];
    let deadLettered = 0;
    try {
      committed = await commitInTransaction(scope, messages, work);
    } catch (error) {
      const deadLetters = this.#deadLetters;
      if (
        deadLetters === undefined ||
        isTransientFailure(error) ||
        (error instanceof FleetError && error.code === TRANSACTION_FAILED)
      )
        throw error;
      logger.warn({
        event: "batch.isolating_failure",
        size: messages.length,
        transactional: true,
        ...errorFields(error),
      });
      deadLettered = await isolateInTransactions(
        scope,
        messages,
        work,
        (message, cause) => deadLetters.send(message, describeError(cause)),
        isTransientFailure,
      );
      committed = messages.filter(scope.isOurs);
    }
    if (committed.length === 0) return;
    const offsets = commitOffsets(committed);
    // The offsets went to the group through the transaction, which librdkafka does not see: stored here, they
    // are what its statistics (and so the lag gauge) measure the lag from. Nothing commits them otherwise.
    try {
      consumer.storeOffsets(offsets);
    } catch {
      // A partition revoked meanwhile: its lag is no longer ours to report.
    }
    metrics.commits.inc({ result: "ok" });
    metrics.batchProcessing.observe((performance.now() - batch.started) / 1000);
    logger.info({
      event: "batch.committed",
      size: batch.size,
      reason: batch.reason,
      transactional: true,
      ...(deadLettered > 0 ? { deadLettered } : {}),
      offsets: offsets.map(({ partition, offset }) => `${partition}:${offset}`).join(","),
    });
  }

  /** Processes a batch (see `Handle` for what happens to records that fail), then counts it. */
  async #process(messages: ConsumedMessage[], inTransaction: boolean): Promise<void> {
    const { metrics } = this.#options;
    const processed = await this.#processor.process(messages, { inTransaction });
    metrics.messagesProcessed.inc(processed);
    metrics.batchSize.observe(messages.length);
    observeLatency(messages, metrics);
  }

  /** Commits what is pending for partitions we own (or are revoking); logs `batches` once it is committed. */
  #commitPending(batches: readonly BatchInfo[]): Promise<void> {
    return this.#commits.run(() => this.#commitPendingNow(batches));
  }

  async #commitPendingNow(batches: readonly BatchInfo[]): Promise<void> {
    const consumer = this.#consumer;
    if (consumer === undefined) return;
    const { logger, metrics } = this.#options;
    const ours = (position: RecordPosition) =>
      consumer.owns(position.topic, position.partition) || this.#revoking.has(keyOf(position));
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
      metrics.batchProcessing.observe((now - batch.started) / 1000);
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

/** Runs async steps one after another, in the order they were asked for. */
class Serial {
  #tail: Promise<unknown> = Promise.resolve();

  run(work: () => Promise<void>): Promise<void> {
    const next = this.#tail.then(work);
    // The chain must survive a failed step; the failure itself goes to this step's caller.
    this.#tail = next.catch(() => undefined);
    return next;
  }
}

/** End-to-end latency of a sample of the batch's records (record timestamp to now), evenly spaced. */
function observeLatency(messages: readonly ConsumedMessage[], metrics: ConsumerMetrics): void {
  if (messages.length === 0) return;
  const now = Date.now();
  const step = Math.max(1, Math.floor(messages.length / LATENCY_SAMPLES));
  for (let i = messages.length - 1; i >= 0; i -= step) {
    const { timestamp } = messages[i] as ConsumedMessage;
    if (timestamp !== undefined) metrics.endToEndLatency.observe((now - timestamp) / 1000);
  }
}
