import type { TopicPartition } from "@kafka-fleet/kafka";
import {
  KEEPALIVE_AFTER_MS,
  KEEPALIVE_POLL_MS,
  SINGLE_FETCH_MAX,
  SINGLE_POLL_MS,
} from "@kafka-fleet/kafka/tunables";
import { OrderingQueue, partitionKey, type Ordering, type RecordPosition } from "@kafka-fleet/processing";
import { asError, errorFields, type Health, type Logger } from "@kafka-fleet/service";

import type { ConsumerMetrics } from "../metrics.ts";

import type { Processor } from "../processor.ts";
import type { ConsumedMessage } from "../record.ts";
import type { ConsumerPort } from "./consumer-port.ts";
import { settledWithin } from "./settled-within.ts";

export interface SingleLoopOptions {
  readonly consumer: ConsumerPort;
  readonly processor: Processor;
  /** Aborted to stop: records running finish and store, nothing new starts. */
  readonly signal: AbortSignal;
  readonly maxInFlight: number;
  /** Records held waiting for their key's (or partition's) turn; fetching pauses while this many wait. */
  readonly maxQueued: number;
  readonly ordering: Ordering;
  readonly logger: Logger;
  readonly metrics: ConsumerMetrics;
  readonly health: Health;
  /** How long the loop may wait, full, before it polls with its partitions paused (default KEEPALIVE_AFTER_MS). */
  readonly keepAliveAfterMs?: number;
}

/**
 * Message by message: records are handed to the processor as soon as their ordering allows (see `OrderingQueue`:
 * per key, per partition, or in any order), up to `maxInFlight` at once, and a record's offset is stored once it
 * and every record before it in its partition are processed (at-least-once). librdkafka commits the stored
 * offsets every few seconds; revocation and shutdown commit them at once. The decisions are the queue's; this
 * class only fetches, starts, stores and waits.
 */
export class SingleLoop {
  readonly #options: SingleLoopOptions;
  readonly #queue: OrderingQueue<ConsumedMessage>;
  readonly #running = new Set<Promise<void>>();
  /** Partitions being revoked: still assigned until their records in flight finish, so their offsets may be stored. */
  readonly #draining = new Set<string>();
  /** Whoever waits for the next record to finish (the fetch loop when full, a revocation draining). */
  #waiters: (() => void)[] = [];
  readonly #consumer: ConsumerPort;
  readonly #processor: Processor;
  readonly #signal: AbortSignal;
  #failure: Error | undefined;

  constructor(options: SingleLoopOptions) {
    this.#options = options;
    this.#consumer = options.consumer;
    this.#processor = options.processor;
    this.#signal = options.signal;
    this.#queue = new OrderingQueue(options.ordering, options.maxInFlight);
  }

  /** Records running and records waiting for their turn (for the metrics). */
  get held(): { inFlight: number; queued: number } {
    return { inFlight: this.#queue.inFlight, queued: this.#queue.queued };
  }

  /** Polls until the signal is aborted, waits for the records running, then commits what they stored. */
  async run(): Promise<void> {
    const consumer = this.#consumer;
    const signal = this.#signal;
    const { metrics, health, maxInFlight, maxQueued } = this.#options;
    const queue = this.#queue;
    while (!signal.aborted && this.#failure === undefined) {
      // Full: no slot to start anything, or a hot key has piled up as many records as we hold. Every queued
      // record waits behind a running one of its lane, so a completion always comes (unless a handler hangs).
      if (queue.inFlight >= maxInFlight || queue.queued >= maxQueued) {
        await this.#nextCompletionPolling();
        health.beat();
        continue;
      }
      // Fetched records either start or queue, so the records held never exceed maxInFlight + maxQueued.
      const room = maxInFlight - queue.inFlight + (maxQueued - queue.queued);
      const messages = await consumer.consume(Math.min(SINGLE_FETCH_MAX, room), SINGLE_POLL_MS);
      health.beat();
      metrics.messagesConsumed.inc(messages.length);
      for (const message of messages) {
        if (consumer.owns(message.topic, message.partition)) queue.add(message);
      }
      this.#startReady();
    }
    // Records queued and not started are left to whoever reads the partition next: no offset passes them.
    // (Nothing new starts once stopping, see #startReady, so this set only shrinks.)
    while (this.#running.size > 0) await Promise.allSettled(this.#running);
    if (this.#failure !== undefined) throw this.#failure;
    await consumer.commitStored();
  }

  /**
   * The consumer's revocation hook: drop the revoked partitions' queued records (the next owner reads them from
   * the committed offset), let their records in flight finish and store, then commit. Lost partitions may be
   * someone else's already: nothing is stored or committed for them.
   */
  readonly onRevoke = async (partitions: readonly TopicPartition[], lost: boolean): Promise<void> => {
    let dropped = 0;
    for (const { topic, partition } of partitions) {
      dropped += this.#queue.revoke(topic, partition);
      if (!lost) this.#draining.add(partitionKey({ topic, partition }));
    }
    try {
      if (!lost) {
        const busy = () =>
          partitions.some(({ topic, partition }) => this.#queue.inFlightIn(topic, partition) > 0);
        while (busy() && this.#failure === undefined) await this.#nextCompletion();
        await this.#consumer.commitStored();
      }
    } finally {
      for (const { topic, partition } of partitions) {
        this.#draining.delete(partitionKey({ topic, partition }));
        this.#queue.forget(topic, partition);
      }
      this.#options.logger.info({
        event: "single_consumer.revoked",
        partitions: partitions.length,
        dropped,
        lost,
      });
    }
  };

  #startReady(): void {
    // Once stopping (or failed), finish what runs and start nothing more: the rest stays queued, unstored.
    if (this.#signal.aborted || this.#failure !== undefined) return;
    for (const message of this.#queue.next()) this.#start(message);
  }

  /**
   * Waits for a record to complete. Past KEEPALIVE_AFTER_MS it polls meanwhile, its partitions paused, taking no
   * records: librdkafka puts a member that has not polled for max.poll.interval.ms out of its group, and serves
   * rebalances only while it polls.
   */
  async #nextCompletionPolling(): Promise<void> {
    let completed = false;
    const completion = this.#nextCompletion().then(() => (completed = true));
    await settledWithin(completion, this.#options.keepAliveAfterMs ?? KEEPALIVE_AFTER_MS);
    if (completed) return;
    const consumer = this.#consumer;
    try {
      while (!completed && !this.#signal.aborted) {
        // Again each time: a partition assigned meanwhile is not paused yet.
        consumer.pauseOwned();
        // Nothing comes from a paused partition; a record of one assigned since the last pause may.
        for (const message of await consumer.consume(1, KEEPALIVE_POLL_MS)) {
          if (consumer.owns(message.topic, message.partition)) this.#queue.add(message);
        }
        this.#options.health.beat();
      }
    } finally {
      consumer.resumeOwned();
    }
  }

  #nextCompletion(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  #notify(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  /**
   * Starts one record: processed, or set aside in the dead-letter topic; either way its offset is stored only
   * once that is done. A failure of the infrastructure (not of the record) stops the loop with it unstored.
   */
  #start(message: ConsumedMessage): void {
    const { metrics } = this.#options;
    const processing = this.#processor.process([message]).then(
      (processed) => {
        if (processed > 0) {
          metrics.messagesProcessed.inc();
          if (message.timestamp !== undefined)
            metrics.endToEndLatency.observe((Date.now() - message.timestamp) / 1000);
        }
        this.#done(message);
      },
      (error: unknown) => {
        // It never completes, so neither its key's next record starts nor any later offset of its partition is
        // stored: nothing is skipped.
        this.#failure ??= asError(error);
        this.#notify();
      },
    );
    this.#running.add(processing);
    void processing.finally(() => this.#running.delete(processing));
  }

  #done(message: ConsumedMessage): void {
    const safe = this.#queue.complete(message);
    if (safe !== undefined) {
      const mine = this.#consumer.owns(safe.topic, safe.partition) || this.#draining.has(partitionKey(safe));
      if (mine) this.#store(safe);
    }
    this.#startReady();
    this.#notify();
  }

  /**
   * librdkafka refuses to store an offset for a partition it no longer has assigned (ERR__STATE), e.g. when the
   * group took it away behind our back; the record is then redelivered to the next owner, so a refusal is
   * logged, never fatal.
   */
  #store(safe: RecordPosition): void {
    try {
      this.#consumer.storeOffsets([safe]);
    } catch (error) {
      this.#options.logger.warn({ event: "single_consumer.store_refused", ...safe, ...errorFields(error) });
    }
  }
}
