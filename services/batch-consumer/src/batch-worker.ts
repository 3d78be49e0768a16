import { performance } from "node:perf_hooks";

import type { FleetConsumer, Message, TopicPartition } from "@kafka-fleet/kafka";
import { BatchAccumulator, commitOffsets, type FlushRules, type RetryRules } from "@kafka-fleet/processing";
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
    if (!lost) {
      await this.#flush("partitions revoked");
      return;
    }
    // Lost: another member may own them already, and our commit would be refused. Let them be redelivered.
    const gone = new Set(partitions.map(({ topic, partition }) => `${topic}\u0000${partition}`));
    await this.#runExclusive(() => {
      const dropped = this.#batch.drop((message) => gone.has(`${message.topic}\u0000${message.partition}`));
      this.#options.logger.warn({ event: "batch.dropped_lost_partitions", dropped });
      return Promise.resolve();
    });
  };

  #flush(reason: string): Promise<void> {
    return this.#runExclusive(async () => {
      const messages = this.#batch.take();
      if (messages.length === 0 || this.#consumer === undefined) return;
      await this.#processAndCommit(this.#consumer, messages, reason);
    });
  }

  async #processAndCommit(consumer: FleetConsumer, messages: Message[], reason: string): Promise<void> {
    const { logger, metrics, retry } = this.#options;
    const handler = this.#handler;
    const started = performance.now();
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
    for (const record of records) metrics.endToEndLatency.observe((finishedAt - record.timestamp) / 1000);

    // Poison records are skipped, not lost: their offsets are committed with the batch's.
    const offsets = commitOffsets(messages);
    try {
      await consumer.commit(offsets);
    } catch (error) {
      // The batch was processed; without the commit it will be processed again (at-least-once), never lost.
      logger.error(
        { event: "batch.commit_failed", size: messages.length, ...describeError(error) },
        "commit failed",
      );
      return;
    }
    metrics.batchSize.observe(messages.length);
    metrics.batchProcessing.observe((performance.now() - started) / 1000);
    logger.info({
      event: "batch.committed",
      size: messages.length,
      processed: records.length,
      reason,
      offsets: offsets.map(({ partition, offset }) => `${partition}:${offset}`).join(","),
    });
  }

  #runExclusive(work: () => Promise<void>): Promise<void> {
    const next = this.#exclusive.then(work);
    // The chain must survive a failed step; the failure itself goes to this step's caller.
    this.#exclusive = next.catch(() => undefined);
    return next;
  }
}
