// A share-group worker's loop (KIP-932): batches acquired from the group, handed to the handler, and every record
// acknowledged on its own: ACCEPT, RELEASE (the broker delivers it again) or REJECT (after a dead letter). No
// offsets: the broker keeps each record's state, so any number of members may read the same partitions.
import type { AcknowledgementResult, ShareConsumerClient, ShareRecord } from "@kafka-fleet/kafka";
import { messageOf, type Health, type Logger } from "@kafka-fleet/service";

import type { DeadLetterSink } from "../dead-letter.ts";
import { deadLetterCause, isTransientFailure, PROCESSING_FAILED } from "../failures.ts";
import { UnrecoverableError, type Handle, type WorkerContext } from "../handler.ts";
import type { ConsumerMetrics, ShareMetrics } from "../metrics.ts";
import { poisonCause, toWorkerRecord, type Deserializer, type WorkerRecord } from "../record.ts";
import { acknowledgementFor, type ShareOutcome } from "../share/acknowledgement.ts";

/** How long one consume() waits for records: also how long a stop may wait for the poll under way. */
const POLL_TIMEOUT_MS = 500;

export interface ShareLoopOptions<T> {
  readonly consumer: ShareConsumerClient;
  readonly handle: Handle<T>;
  readonly deserialize: Deserializer<T>;
  readonly context: WorkerContext;
  /** undefined: rejected records are not dead-lettered */
  readonly deadLetters: DeadLetterSink | undefined;
  /** Deliveries a record gets before it is rejected (at most the group's share.delivery.count.limit). */
  readonly maxDeliveries: number;
  readonly signal: AbortSignal;
  readonly logger: Logger;
  readonly metrics: ConsumerMetrics & ShareMetrics;
  readonly health: Health;
}

interface Outcome {
  readonly kind: ShareOutcome;
  readonly cause?: { code: string; message: string };
}

export class ShareLoop<T> {
  readonly #options: ShareLoopOptions<T>;

  constructor(options: ShareLoopOptions<T>) {
    this.#options = options;
  }

  /** Runs until the signal aborts; every record acquired is acknowledged before it returns. */
  async run(): Promise<void> {
    const { consumer, signal, health } = this.#options;
    health.setReady(true, "share group member");
    health.expectBeats(true);
    while (!signal.aborted) {
      const batch = await consumer.consume(POLL_TIMEOUT_MS);
      health.beat();
      this.#report(batch.acknowledgements);
      if (batch.records.length === 0) continue;
      await this.#settle(batch.records);
    }
    health.expectBeats(false);
    // What was acknowledged reaches the brokers now, not with a poll that will not come.
    const commit = await consumer.commitSync(5_000);
    this.#report(commit.acknowledgements);
  }

  /** Processes one batch and acknowledges each of its records. */
  async #settle(records: readonly ShareRecord[]): Promise<void> {
    const { consumer, metrics, signal, maxDeliveries, deadLetters } = this.#options;
    metrics.messagesConsumed.inc(records.length);
    for (const record of records) metrics.deliveryCount.observe(record.deliveryCount);
    // Acquired while stopping: given back at once rather than held until the lock ends.
    const outcomes = signal.aborted
      ? records.map((): Outcome => ({ kind: "interrupted" }))
      : await this.#process(records);
    for (let i = 0; i < records.length; i++) {
      const record = records[i]!;
      const outcome = outcomes[i]!;
      const decided = acknowledgementFor(
        outcome.kind,
        record.deliveryCount,
        maxDeliveries,
        deadLetters !== undefined,
      );
      let type = decided.type;
      if (decided.deadLetter && deadLetters !== undefined) {
        try {
          await deadLetters.send(record, outcome.cause ?? { code: PROCESSING_FAILED, message: "" });
        } catch (error) {
          // Not archived unseen: released, it comes back and its dead letter is tried again.
          this.#options.logger.warn({
            event: "share.dead_letter_failed",
            topic: record.topic,
            partition: record.partition,
            offset: record.offset,
            err: messageOf(error),
          });
          type = "RELEASE";
        }
      }
      consumer.acknowledge(record, type);
      metrics.acknowledgements.inc({ type });
      if (outcome.kind === "done") {
        metrics.messagesProcessed.inc();
        metrics.endToEndLatency.observe(Math.max(0, Date.now() - record.timestamp) / 1000);
      }
    }
  }

  /** The outcome of each record, in order: decoded, then handed to the handler in one call. */
  async #process(records: readonly ShareRecord[]): Promise<Outcome[]> {
    const { handle, deserialize, context, signal } = this.#options;
    const outcomes: Outcome[] = records.map(() => ({ kind: "done" }));
    const decoded: WorkerRecord<T>[] = [];
    const indexOf = new Map<WorkerRecord<T>, number>();
    records.forEach((record, i) => {
      try {
        const workerRecord = {
          ...toWorkerRecord(record, deserialize),
          deliveryCount: record.deliveryCount,
        };
        decoded.push(workerRecord);
        indexOf.set(workerRecord, i);
      } catch (error) {
        outcomes[i] = { kind: "unrecoverable", cause: poisonCause(error) };
      }
    });
    if (decoded.length === 0) return outcomes;
    const failed = (error: unknown, alone: boolean): Outcome => {
      if (signal.aborted) return { kind: "interrupted" };
      if (isTransientFailure(error)) return { kind: "transient" };
      const cause = deadLetterCause(error);
      return { kind: error instanceof UnrecoverableError && alone ? "unrecoverable" : "failed", cause };
    };
    try {
      const failures = (await handle(decoded, context)) ?? [];
      for (const { record, error } of failures) {
        const i = indexOf.get(record);
        if (i !== undefined) outcomes[i] = failed(error, true);
      }
    } catch (error) {
      // The call failed as a whole: each of its records failed (an UnrecoverableError names one only alone).
      for (const i of indexOf.values()) outcomes[i] = failed(error, decoded.length === 1);
    }
    return outcomes;
  }

  #report(results: readonly AcknowledgementResult[]): void {
    for (const result of results) {
      if (result.error === null) continue;
      this.#options.metrics.acknowledgementFailures.inc();
      this.#options.logger.warn({
        event: "share.acknowledgement_failed",
        topic: result.topic,
        partition: result.partition,
        offsets: result.offsets,
        err: result.error.message,
      });
    }
  }
}
