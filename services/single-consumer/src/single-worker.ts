import type { FleetConsumer, Message, TopicPartition } from "@kafka-fleet/kafka";
import { OffsetTracker, type RecordPosition, type RetryRules } from "@kafka-fleet/processing";
import { describeError, type ConsumerMetrics, type Health, type Logger } from "@kafka-fleet/service";
import {
  decodeMessage,
  isTransientFailure,
  withRetries,
  type DeadLetters,
  type RecordHandler,
} from "@kafka-fleet/worker";

/** How long one poll may block: bounds how late a stop request is noticed. */
const POLL_MS = 200;
/**
 * Records asked for per poll. A poll returns once it has this many or the local queue runs dry, so while records
 * keep arriving the first of a large request waits for the last: small requests keep latency low.
 */
const FETCH_MAX = 64;

export interface SingleWorkerOptions {
  readonly maxInFlight: number;
  readonly retry: RetryRules;
  readonly logger: Logger;
  readonly metrics: ConsumerMetrics;
  readonly health: Health;
}

/**
 * Message by message: each record is handed to the handler as soon as it arrives, and its offset is stored once
 * it and every record before it in its partition are processed (at-least-once). librdkafka commits the stored
 * offsets every few seconds; revocation and shutdown commit them at once.
 */
export class SingleWorker {
  readonly #options: SingleWorkerOptions;
  readonly #tracker = new OffsetTracker();
  readonly #inFlight = new Set<Promise<void>>();
  #consumer: FleetConsumer | undefined;
  #handler: RecordHandler = () => Promise.resolve();
  #deadLetters!: DeadLetters;
  #signal: AbortSignal = new AbortController().signal;
  #failure: Error | undefined;

  constructor(options: SingleWorkerOptions) {
    this.#options = options;
  }

  async run(
    consumer: FleetConsumer,
    outputs: { handler: RecordHandler; deadLetters: DeadLetters },
    signal: AbortSignal,
  ): Promise<void> {
    this.#consumer = consumer;
    this.#handler = outputs.handler;
    this.#deadLetters = outputs.deadLetters;
    this.#signal = signal;
    const { metrics, health, maxInFlight } = this.#options;
    while (!signal.aborted && this.#failure === undefined) {
      const messages = await consumer.consume(
        Math.max(1, Math.min(FETCH_MAX, maxInFlight - this.#inFlight.size)),
        POLL_MS,
      );
      health.beat();
      metrics.messagesConsumed.inc(messages.length);
      for (const message of messages) {
        if (consumer.owns(message.topic, message.partition)) this.#start(message);
      }
      while (this.#inFlight.size >= maxInFlight) await Promise.race(this.#inFlight);
    }
    await Promise.allSettled(this.#inFlight);
    if (this.#failure !== undefined) throw this.#failure;
    await consumer.commit(null);
  }

  /** The consumer's revocation hook: let the records in flight finish, then commit what they stored. */
  readonly onRevoke = async (partitions: readonly TopicPartition[], lost: boolean): Promise<void> => {
    if (!lost) {
      await Promise.allSettled(this.#inFlight);
      await this.#consumer?.commit(null);
    }
    for (const { topic, partition } of partitions) this.#tracker.forget(topic, partition);
  };

  /**
   * Starts one record: an unreadable one, or one the handler keeps rejecting, goes to the dead-letter topic;
   * either way its offset is stored only once it is processed or its dead letter acknowledged. A failure of
   * the infrastructure (not of the record) stops the worker with the record unstored.
   */
  #start(message: Message): void {
    const { logger, metrics } = this.#options;
    this.#tracker.start(message);
    const decoded = decodeMessage(message);
    const processing = (async () => {
      if (!decoded.ok) {
        await this.#deadLetters.send(message, decoded.poison.error);
        return;
      }
      const { record } = decoded;
      try {
        await withRetries(() => this.#handler([record]), {
          rules: this.#options.retry,
          logger,
          signal: this.#signal,
          what: { partition: record.partition, offset: record.offset },
        });
      } catch (error) {
        if (isTransientFailure(error)) throw error;
        await this.#deadLetters.send(message, describeError(error));
        return;
      }
      metrics.messagesProcessed.inc();
      metrics.endToEndLatency.observe((Date.now() - record.timestamp) / 1000);
    })().then(
      () => this.#done(message),
      (error: unknown) => {
        // Its offset is never stored, so neither is any later one of its partition: nothing is skipped.
        this.#failure ??= error instanceof Error ? error : new Error(String(error));
      },
    );
    this.#inFlight.add(processing);
    void processing.finally(() => this.#inFlight.delete(processing));
  }

  #done(position: RecordPosition): void {
    const safe = this.#tracker.complete(position);
    if (safe === undefined || this.#consumer?.owns(safe.topic, safe.partition) !== true) return;
    this.#consumer.storeOffsets([safe]);
  }
}
