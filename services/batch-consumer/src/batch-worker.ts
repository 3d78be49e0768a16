import { performance } from "node:perf_hooks";

import type { FleetConsumer, Message, TopicPartition } from "@kafka-fleet/kafka";
import {
  BatchAccumulator,
  PendingCommits,
  commitOffsets,
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
  reportPoison,
  withRetries,
  type RecordHandler,
  type ValueRecord,
} from "@kafka-fleet/worker";

/** How long one poll may block while no batch is open: bounds how late a stop request is noticed. */
const IDLE_POLL_MS = 200;

const keyOf = (position: { topic: string; partition: number }) =>
  `${position.topic}\u0000${position.partition}`;

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
  #signal: AbortSignal = new AbortController().signal;
  #exclusive: Promise<unknown> = Promise.resolve();

  constructor(options: BatchWorkerOptions) {
    this.#options = options;
    this.#batch = new BatchAccumulator(options.rules);
  }

  /** Polls until `signal` is aborted, then finishes the batch in hand. */
  async run(consumer: FleetConsumer, handler: RecordHandler, signal: AbortSignal): Promise<void> {
    this.#consumer = consumer;
    this.#handler = handler;
    this.#signal = signal;
    const { metrics, health } = this.#options;
    while (!signal.aborted) {
      const messages = await consumer.consume(
        Math.max(1, this.#batch.room),
        this.#batch.pollTimeoutMs(Date.now(), IDLE_POLL_MS),
      );
      health.beat();
      metrics.messagesConsumed.inc(messages.length);
      const now = Date.now();
      for (const message of messages) {
        // A record fetched before its partition was revoked is not ours to process any more.
        if (consumer.owns(message.topic, message.partition)) this.#batch.add(message, now);
      }
      if (this.#batch.isDue(Date.now())) await this.#flush("full or waited long enough");
    }
    await this.#flush("stopping");
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
      if (messages.length > 0) await this.#process(messages);
      await this.#commitPending(consumer, revoking, { reason, size: messages.length, started });
    });
  }

  async #process(messages: Message[]): Promise<void> {
    const { logger, metrics, retry } = this.#options;
    const handler = this.#handler;
    const records: ValueRecord[] = [];
    for (const message of messages) {
      const decoded = decodeMessage(message);
      if (decoded.ok) records.push(decoded.record);
      else reportPoison(decoded.poison, logger, metrics);
    }

    const first = messages[0];
    await withRetries(() => handler(records), {
      rules: retry,
      logger,
      signal: this.#signal,
      what: { size: records.length, partition: first?.partition, offset: first?.offset },
    });

    const finishedAt = Date.now();
    metrics.messagesProcessed.inc(records.length);
    metrics.batchSize.observe(messages.length);
    for (const record of records) metrics.endToEndLatency.observe((finishedAt - record.timestamp) / 1000);
    // Poison records are skipped, not lost: their offsets are committed with the batch's.
    this.#pending.add(commitOffsets(messages));
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
