import { performance } from "node:perf_hooks";

import type { DeliveryProducer, FleetConsumer, Message, TopicPartition } from "@kafka-fleet/kafka";
import {
  BatchAccumulator,
  PendingCommits,
  commitOffsets,
  partitionKey as keyOf,
  type FlushRules,
  type RetryRules,
} from "@kafka-fleet/processing";
import {
  describeError,
  type BatchMetrics,
  type ConsumerMetrics,
  type Health,
  type Logger,
} from "@kafka-fleet/service";
import {
  decodeMessage,
  isTransientFailure,
  withRetries,
  type DeadLetters,
  type RecordHandler,
  type ValueRecord,
} from "@kafka-fleet/worker";

/** How long one poll may block while no batch is open: bounds how late a stop request is noticed. */
const IDLE_POLL_MS = 200;

export interface BatchWorkerOptions {
  readonly rules: FlushRules;
  readonly retry: RetryRules;
  readonly logger: Logger;
  readonly metrics: ConsumerMetrics & BatchMetrics;
  readonly health: Health;
}

/**
 * Fills a batch up to maxSize records or until maxWaitMs after its first record, processes the whole batch,
 * then commits, per partition, the offset after the last record processed. A batch that fails is not committed.
 * Flushes are serialised, so a revocation waits for the batch in flight and then finishes the one in hand.
 */
export class BatchWorker {
  readonly #options: BatchWorkerOptions;
  readonly #batch: BatchAccumulator<Message>;
  readonly #pending = new PendingCommits();
  #consumer: FleetConsumer | undefined;
  #handler: RecordHandler = () => Promise.resolve();
  #deadLetters!: DeadLetters;
  #transactions: DeliveryProducer | undefined;
  #signal: AbortSignal = new AbortController().signal;
  #exclusive: Promise<unknown> = Promise.resolve();

  constructor(options: BatchWorkerOptions) {
    this.#options = options;
    this.#batch = new BatchAccumulator(options.rules);
  }

  /** Polls until `signal` is aborted, then finishes the batch in hand. */
  async run(
    consumer: FleetConsumer,
    outputs: { handler: RecordHandler; deadLetters: DeadLetters; transactions: DeliveryProducer | undefined },
    signal: AbortSignal,
  ): Promise<void> {
    this.#consumer = consumer;
    this.#handler = outputs.handler;
    this.#deadLetters = outputs.deadLetters;
    this.#transactions = outputs.transactions;
    this.#signal = signal;
    const { health } = this.#options;
    let fetching = this.#fetch(this.#batch.room, IDLE_POLL_MS);
    while (!signal.aborted) {
      this.#accept(await fetching);
      health.beat();
      if (this.#batch.isDue(Date.now())) {
        // Fetch the next batch while this one is processed and committed: consume() runs on a worker thread,
        // so its polling overlaps the handler's awaits and the commit's round trip. One consume() at a time
        // keeps each partition's records in order; what it brings joins the next batch.
        fetching = this.#fetch(this.#options.rules.maxSize, IDLE_POLL_MS);
        await this.#flush("full or waited long enough");
      } else {
        fetching = this.#fetch(
          Math.max(1, this.#batch.room),
          this.#batch.pollTimeoutMs(Date.now(), IDLE_POLL_MS),
        );
      }
    }
    // Records already fetched are processed with the batch in hand rather than left for redelivery.
    this.#accept(await fetching);
    await this.#flush("stopping");
  }

  #fetch(max: number, timeoutMs: number): Promise<Message[]> {
    const fetching = this.#consumer?.consume(max, timeoutMs) ?? Promise.resolve([]);
    // If a flush fails while this fetch is under way, nobody awaits it: its failure must not go unhandled.
    fetching.catch(() => undefined);
    return fetching;
  }

  #accept(messages: readonly Message[]): void {
    const consumer = this.#consumer;
    if (consumer === undefined) return;
    this.#options.metrics.messagesConsumed.inc(messages.length);
    const now = Date.now();
    for (const message of messages) {
      // A record fetched before its partition was revoked is not ours to process any more.
      if (consumer.owns(message.topic, message.partition)) this.#batch.add(message, now);
    }
  }

  /** The consumer's revocation hook: finish and commit the batch in hand before the partitions go. */
  readonly onRevoke = async (partitions: readonly TopicPartition[], lost: boolean): Promise<void> => {
    const gone = new Set(partitions.map(keyOf));
    const isGone = (position: { topic: string; partition: number }) => gone.has(keyOf(position));
    if (!lost) await this.#flush("partitions revoked", gone);
    await this.#runExclusive(() => {
      // Lost partitions may belong to another member already: our commit would be refused, so their records
      // in hand are dropped unprocessed and come back to the new owner. Nothing is lost either way.
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

  /** Processes the batch in hand (if any), then commits what is pending; `revoking` may still be committed. */
  #flush(reason: string, revoking: ReadonlySet<string> = new Set()): Promise<void> {
    return this.#runExclusive(async () => {
      const consumer = this.#consumer;
      if (consumer === undefined) return;
      const started = performance.now();
      const messages = this.#batch.take();
      const batch = { reason, size: messages.length, started };
      if (this.#transactions !== undefined) {
        if (messages.length > 0)
          await this.#processInTransaction(this.#transactions, consumer, messages, batch);
        return;
      }
      if (messages.length > 0) await this.#process(messages);
      await this.#commitPending(consumer, revoking, batch);
    });
  }

  /**
   * Exactly-once: the batch's results, its dead letters and its input offsets are written in one transaction, so
   * read_committed readers see all of a batch or none of it. A failure aborts the transaction and ends the
   * service (exit 1); after the restart the batch is processed again from the committed offsets, and the
   * aborted attempt's writes stay invisible. No retries inside a transaction: a retry would write twice.
   */
  async #processInTransaction(
    producer: DeliveryProducer,
    consumer: FleetConsumer,
    messages: Message[],
    batch: { reason: string; size: number; started: number },
  ): Promise<void> {
    await producer.beginTransaction();
    const offsets = commitOffsets(messages);
    try {
      await this.#process(messages, { retries: false });
      await producer.sendOffsetsToTransaction(offsets, consumer.client);
      await producer.commitTransaction();
    } catch (error) {
      await producer
        .abortTransaction()
        .catch((abortError: unknown) =>
          this.#options.logger.error({ event: "transaction.abort_failed", ...describeError(abortError) }),
        );
      throw error;
    }
    this.#pending.settle(offsets);
    this.#options.metrics.commits.inc({ result: "ok" });
    this.#options.metrics.batchProcessing.observe((performance.now() - batch.started) / 1000);
    this.#options.logger.info({
      event: "batch.committed",
      size: batch.size,
      reason: batch.reason,
      transactional: true,
      offsets: offsets.map(({ partition, offset }) => `${partition}:${offset}`).join(","),
    });
  }

  /**
   * Processes a batch: unreadable records and records the handler keeps rejecting go to the dead-letter topic;
   * the rest are processed as one batch. Decision: a failing record fails only itself. When the batch fails
   * after its retries, each record is tried alone once more and those that still fail are dead-lettered, unless
   * the failure is the infrastructure's (then the batch stays uncommitted and the error ends the service).
   */
  async #process(messages: Message[], options: { retries: boolean } = { retries: true }): Promise<void> {
    const { logger, metrics } = this.#options;
    const deadLetters = this.#deadLetters;
    const good: Array<{ record: ValueRecord; message: Message }> = [];
    const setAside: Array<Promise<void>> = [];
    for (const message of messages) {
      const decoded = decodeMessage(message);
      if (decoded.ok) good.push({ record: decoded.record, message });
      else setAside.push(deadLetters.send(message, decoded.poison.error));
    }

    let processed = good.length;
    const first = messages[0];
    try {
      const records = good.map(({ record }) => record);
      if (options.retries) {
        await this.#withRetries(records, {
          size: good.length,
          partition: first?.partition,
          offset: first?.offset,
        });
      } else if (records.length > 0) {
        await this.#handler(records);
      }
    } catch (error) {
      if (isTransientFailure(error) || !options.retries) throw error;
      logger.warn({ event: "batch.isolating_failure", size: good.length, ...describeError(error) });
      processed = 0;
      for (const { record, message } of good) {
        try {
          await this.#handler([record]);
          processed += 1;
        } catch (recordError) {
          if (isTransientFailure(recordError)) throw recordError;
          setAside.push(deadLetters.send(message, describeError(recordError)));
        }
      }
    }
    // Every record is now processed or set aside; only once the dead letters are acknowledged may it commit.
    await Promise.all(setAside);

    const finishedAt = Date.now();
    metrics.messagesProcessed.inc(processed);
    metrics.batchSize.observe(messages.length);
    for (const { record } of good) metrics.endToEndLatency.observe((finishedAt - record.timestamp) / 1000);
    this.#pending.add(commitOffsets(messages));
  }

  #withRetries(records: readonly ValueRecord[], what: Record<string, unknown>): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    return withRetries(() => this.#handler(records), {
      rules: this.#options.retry,
      logger: this.#options.logger,
      signal: this.#signal,
      what,
    });
  }

  async #commitPending(
    consumer: FleetConsumer,
    revoking: ReadonlySet<string>,
    batch: { reason: string; size: number; started: number },
  ): Promise<void> {
    const { logger, metrics } = this.#options;
    const offsets = this.#pending.select(
      (position) => consumer.owns(position.topic, position.partition) || revoking.has(keyOf(position)),
    );
    if (offsets.length === 0) return;
    const described = offsets.map(({ partition, offset }) => `${partition}:${offset}`).join(",");
    try {
      await consumer.commit(offsets);
    } catch (error) {
      // Typically a rebalance under way. The offsets stay pending and go out with the next commit; the batch is
      // not processed again unless its partition moves before then.
      logger.warn({ event: "batch.commit_deferred", offsets: described, ...describeError(error) });
      return;
    }
    this.#pending.settle(offsets);
    if (batch.size > 0) metrics.batchProcessing.observe((performance.now() - batch.started) / 1000);
    logger.info({ event: "batch.committed", size: batch.size, reason: batch.reason, offsets: described });
  }

  #runExclusive(work: () => Promise<void>): Promise<void> {
    const next = this.#exclusive.then(work);
    // The chain must survive a failed step; the failure itself goes to this step's caller.
    this.#exclusive = next.catch(() => undefined);
    return next;
  }
}
