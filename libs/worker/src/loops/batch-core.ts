import { performance } from "node:perf_hooks";

import type { TopicPartition } from "@kafka-fleet/kafka";
import {
  BatchAccumulator,
  partitionKey as keyOf,
  type FlushRules,
  type RecordPosition,
} from "@kafka-fleet/processing";
import type { Health, Logger } from "@kafka-fleet/service";

import type { BatchMetrics, ConsumerMetrics } from "../metrics.ts";
import type { Processor } from "../processor.ts";
import type { ConsumedMessage } from "../record.ts";
import {
  IDLE_POLL_MS,
  KEEPALIVE_AFTER_MS,
  KEEPALIVE_POLL_MS,
  LATENCY_SAMPLES,
  PREFETCH_BATCHES,
  PREFETCH_RECORDS,
} from "@kafka-fleet/kafka/tunables";
import type { ConsumerPort } from "./consumer-port.ts";
import { settledWithin } from "./settled-within.ts";
import { Serial } from "./serial.ts";

/** What both batch loops are made of: the group member, the work, and where they report. */
export interface BatchLoopParts {
  readonly rules: FlushRules;
  readonly consumer: ConsumerPort;
  readonly processor: Processor;
  /** Aborted to stop: the batch in hand is finished and committed first. */
  readonly signal: AbortSignal;
  readonly logger: Logger;
  readonly metrics: ConsumerMetrics & BatchMetrics;
  readonly health: Health;
  /** How long a hand-over may wait before the loop polls with its partitions paused (default KEEPALIVE_AFTER_MS). */
  readonly keepAliveAfterMs?: number;
}

/**
 * What the two batch loops share: filling a batch up to maxSize records or until maxWaitMs after its first
 * record, fetching the next one while a batch is handed over, and letting revoked partitions go only after the
 * batch under way is handed over and committed. How a batch is processed and committed is each loop's own
 * (`dispatch`): pipelined at-least-once (BatchLoop) or one transaction per batch (TransactionalBatchLoop).
 */
export abstract class BatchCore {
  protected readonly parts: BatchLoopParts;
  protected readonly batch: BatchAccumulator<ConsumedMessage>;
  /** Partitions being revoked: still ours to commit until the revocation is done. */
  protected readonly revoking = new Set<string>();
  /** Dispatches and revocations, one at a time, in the order they were asked for. */
  protected readonly exclusive = new Serial();
  protected failure: Error | undefined;

  constructor(parts: BatchLoopParts) {
    this.parts = parts;
    this.batch = new BatchAccumulator(parts.rules);
  }

  /** Polls until the signal is aborted, then finishes the batch in hand and waits for every commit. */
  async run(): Promise<void> {
    const { health, signal } = this.parts;
    let fetching = this.#fetch(this.batch.room, IDLE_POLL_MS);
    while (!signal.aborted && this.failure === undefined) {
      this.#accept(await fetching);
      health.beat();
      if (this.batch.isDue(Date.now())) {
        // Fetch the next batches while these are processed and committed: consume() runs on a worker thread,
        // so its polling overlaps the handler's awaits and the commit's round trip. One consume() at a time
        // keeps each partition's records in order; what it brings joins the next batches.
        const dispatched = this.#dispatchDue("full or waited long enough");
        fetching = this.#fetchWhile(dispatched);
        // If the loop fails before awaiting it, its failure must not go unhandled.
        fetching.catch(() => undefined);
        await dispatched;
      } else {
        fetching = this.#fetch(
          Math.max(1, this.batch.room),
          this.batch.pollTimeoutMs(Date.now(), IDLE_POLL_MS),
        );
      }
    }
    // Records already fetched are processed with the batch in hand rather than left for redelivery.
    const last = await fetching;
    if (this.failure === undefined) {
      this.#accept(last);
      await this.#dispatchAll("stopping");
    }
    await this.finish();
  }

  /** The consumer's revocation hook: finish and commit every batch under way before the partitions go. */
  readonly onRevoke = async (partitions: readonly TopicPartition[], lost: boolean): Promise<void> => {
    const gone = new Set(partitions.map(keyOf));
    const isGone = (position: { topic: string; partition: number }) => gone.has(keyOf(position));
    if (!lost) {
      for (const key of gone) this.revoking.add(key);
      try {
        await this.#dispatchAll("partitions revoked");
        await this.allCommitted();
      } finally {
        for (const key of gone) this.revoking.delete(key);
      }
    }
    // Lost partitions may belong to another member already: our commit would be refused, so their records in
    // hand are dropped unprocessed and come back to the new owner. Nothing is lost either way. After the batch
    // being handed over (an exactly-once transaction is finished first, as before).
    await this.exclusive.run(() => {
      const dropped = this.batch.drop(isGone);
      const uncommitted = this.dropPending(isGone);
      if (dropped > 0 || uncommitted.length > 0) {
        this.parts.logger.warn({
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
   * Dispatches every full batch in hand, and the partial one after them if it has waited long enough: a fetch
   * brings up to `fetchSize` records, several batches' worth.
   */
  async #dispatchDue(reason: string): Promise<void> {
    do await this.dispatch(reason);
    while (this.batch.isDue(Date.now()) && this.failure === undefined);
  }

  /** Dispatches everything in hand, in batches of at most maxSize. */
  async #dispatchAll(reason: string): Promise<void> {
    do await this.dispatch(reason);
    while (this.batch.size > 0 && this.failure === undefined);
  }

  /** Hands the batch in hand (if any) over for processing and commit; serialised through `exclusive`. */
  protected abstract dispatch(reason: string): Promise<void>;
  /** Resolves once nothing is under way and uncommitted (or a batch failed). */
  protected abstract allCommitted(): Promise<void>;
  /** After the last dispatch: waits for the commits under way and throws the loop's failure, if any. */
  protected abstract finish(): Promise<void>;

  /** Forgets the offsets not yet committed of partitions gone, and returns them (for the log). */
  protected dropPending(isGone: (position: RecordPosition) => boolean): readonly RecordPosition[] {
    void isGone;
    return [];
  }

  /** Whether a record's partition is ours: owned, or being revoked (ours until the revocation is done). */
  protected isOurs(position: RecordPosition): boolean {
    return this.parts.consumer.owns(position.topic, position.partition) || this.revoking.has(keyOf(position));
  }

  /** Processes a batch (see `Handle` for what happens to records that fail), then counts it. */
  protected async process(messages: ConsumedMessage[], inTransaction: boolean): Promise<void> {
    this.count(messages, await this.parts.processor.process(messages, { inTransaction }));
  }

  /** Counts a batch done: `processed` of its records went through the handler. */
  protected count(messages: readonly ConsumedMessage[], processed: number): void {
    const { metrics } = this.parts;
    metrics.messagesProcessed.inc(processed);
    metrics.batchSize.observe(messages.length);
    observeLatency(messages, metrics);
  }

  /** A batch's processing time, commit included, from its start. */
  protected observeDone(started: number, now = performance.now()): void {
    this.parts.metrics.batchProcessing.observe((now - started) / 1000);
  }

  /**
   * The next batch's fetch, while `dispatched` hands this one over. A hand-over that waits (the pipeline full of
   * uncommitted batches, an exactly-once batch in its transaction, a slow handler) must not stop the polling:
   * librdkafka puts a member that has not polled for max.poll.interval.ms out of its group, and serves rebalances
   * (a lost partition's revocation among them, which may be what the hand-over waits for) only while it polls.
   * So after KEEPALIVE_AFTER_MS the loop polls with its partitions paused, taking no records, until it is done.
   */
  async #fetchWhile(dispatched: Promise<void>): Promise<readonly ConsumedMessage[]> {
    let handedOver = false;
    const done = dispatched.then(
      () => (handedOver = true),
      () => (handedOver = true),
    );
    let fetched = await this.#fetch(fetchSize(this.parts.rules.maxSize), IDLE_POLL_MS);
    if (handedOver) return fetched;
    await settledWithin(done, this.parts.keepAliveAfterMs ?? KEEPALIVE_AFTER_MS);
    if (handedOver) return fetched;
    const { consumer, health } = this.parts;
    try {
      while (!handedOver) {
        // Again each time: a partition assigned meanwhile is not paused yet.
        consumer.pauseOwned();
        // Nothing comes from a paused partition; a record of one assigned since the last pause may.
        const stray = await consumer.consume(1, KEEPALIVE_POLL_MS);
        if (stray.length > 0) fetched = [...fetched, ...stray];
        health.beat();
      }
    } finally {
      consumer.resumeOwned();
    }
    return fetched;
  }

  #fetch(max: number, timeoutMs: number): Promise<readonly ConsumedMessage[]> {
    const fetching = this.parts.consumer.consume(max, timeoutMs);
    // If a flush fails while this fetch is under way, nobody awaits it: its failure must not go unhandled.
    fetching.catch(() => undefined);
    return fetching;
  }

  #accept(messages: readonly ConsumedMessage[]): void {
    const { consumer, metrics } = this.parts;
    if (messages.length === 0) return;
    metrics.messagesConsumed.inc(messages.length);
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
    if (allOwned) this.batch.addAll(messages, now);
    else
      this.batch.addAll(
        messages.filter((message) => consumer.owns(message.topic, message.partition)),
        now,
      );
  }
}

/**
 * Records asked of one consume() while batches are handed over: a few batches' worth, up to PREFETCH_RECORDS
 * (never less than one batch). Each consume() is a round trip to a libuv worker thread and back; on a busy
 * machine each of those wake-ups waits for a core, so fewer, larger fetches move more records per wake-up.
 * librdkafka holds the records fetched ahead either way (queued.min.messages); they are only handed over sooner.
 */
export function fetchSize(maxSize: number): number {
  return Math.max(maxSize, Math.min(maxSize * PREFETCH_BATCHES, PREFETCH_RECORDS));
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
