import { setTimeout as sleep } from "node:timers/promises";

import { backoffDelayMs, type HandlerTurns, type RetryRules } from "@kafka-fleet/processing";
import { FleetError, describeError, errorFields, type Logger } from "@kafka-fleet/service";
import { inProcessSpan, tracingEnabled } from "@kafka-fleet/tracing";

import type { DeadLetterSink } from "./dead-letter.ts";
import { UnrecoverableError, type Handle, type RecordFailure, type WorkerContext } from "./handler.ts";
import {
  poisonCause,
  toWorkerRecord,
  type ConsumedMessage,
  type Deserializer,
  type WorkerRecord,
} from "./record.ts";
import {
  PROCESSING_FAILED,
  PROCESSING_INTERRUPTED,
  deadLetterCause,
  isTransientFailure,
} from "./failures.ts";

export interface ProcessorOptions<T> {
  readonly handle: Handle<T>;
  readonly deserialize: Deserializer<T>;
  readonly context: WorkerContext;
  readonly deadLetters: DeadLetterSink;
  readonly retry: RetryRules;
  readonly logger: Logger;
}

/** The loops' view of a processor: both take records in, and learn how many the handler processed. */
export interface Processor {
  /**
   * Settles every record: processed by the handler or set aside in the dead-letter topic (acknowledged before
   * this resolves, so the offsets may be committed). Rejects, leaving the records to be read again, when the
   * infrastructure fails, when a stop interrupts the retries, or in a transaction when the handler fails.
   * Resolves with the number of records the handler processed. With `turns`, every handler call waits for its
   * turn, and a retry says so first (the pipelined batch loop keeps each partition's calls in offset order).
   */
  process(messages: readonly ConsumedMessage[], options?: ProcessOptions): Promise<number>;
}

export interface ProcessOptions {
  readonly inTransaction?: boolean;
  readonly turns?: HandlerTurns;
}

/**
 * Decoding, the handler's calls, their retries and the dead letters: everything between records fetched and
 * records done, the same for both loops (a single worker's call is a batch of one). The semantics are the
 * handler's contract, documented on `Handle`.
 */
export class RecordProcessor<T> implements Processor {
  readonly #options: ProcessorOptions<T>;

  constructor(options: ProcessorOptions<T>) {
    this.#options = options;
  }

  process(messages: readonly ConsumedMessage[], options: ProcessOptions = {}): Promise<number> {
    // With tracing on, the whole of it (handler calls, retries, results, dead letters) in one "process" span.
    if (tracingEnabled() && messages.length > 0) {
      return inProcessSpan(messages, this.#options.context.config.groupId, () =>
        this.#process(messages, options),
      );
    }
    return this.#process(messages, options);
  }

  async #process(messages: readonly ConsumedMessage[], options: ProcessOptions): Promise<number> {
    const { deserialize, deadLetters } = this.#options;
    const records: WorkerRecord<T>[] = [];
    // The message each record came from (dead letters carry the original bytes). Left undefined while every
    // message became a record, as is usual: records[i] then came from messages[i].
    let sources: ConsumedMessage[] | undefined;
    const setAside: Array<Promise<void>> = [];
    for (let i = 0; i < messages.length; i += 1) {
      const message = messages[i] as ConsumedMessage;
      try {
        records.push(toWorkerRecord(message, deserialize));
        sources?.push(message);
      } catch (error) {
        sources ??= messages.slice(0, i);
        setAside.push(observed(deadLetters.send(message, poisonCause(error))));
      }
    }

    let processed = records.length;
    if (records.length > 0) {
      try {
        const rejected = await this.#settle(records, options.inTransaction === true, options.turns);
        if (rejected.length > 0) {
          processed -= rejected.length;
          const from = sources ?? messages;
          const indexOf = new Map(records.map((record, index) => [record, index]));
          for (const { record, error } of rejected) {
            const index = indexOf.get(record);
            if (index === undefined)
              throw new Error("a handler reported a failure for a record it was not given");
            setAside.push(observed(deadLetters.send(from[index] as ConsumedMessage, deadLetterCause(error))));
          }
        }
      } catch (error) {
        // The poison records' dead letters may be on their way: none may fail unobserved.
        await Promise.allSettled(setAside);
        throw error;
      }
    }
    // Every record is now processed or set aside; only once the dead letters are acknowledged may it commit.
    await Promise.all(setAside);
    return processed;
  }

  /** Runs the handler (with retries) until every record succeeded or is to be dead-lettered; returns the latter. */
  async #settle(
    records: readonly WorkerRecord<T>[],
    inTransaction: boolean,
    turns: HandlerTurns | undefined,
  ): Promise<RecordFailure<T>[]> {
    const { handle, context, retry, logger } = this.#options;
    const rejected: RecordFailure<T>[] = [];
    // No retries inside a transaction: a retry would write twice.
    const attempts = inTransaction ? 1 : retry.retries + 1;
    let pending = records;
    let failed: { whole: true; error: unknown } | { whole: false; failures: readonly RecordFailure<T>[] };
    for (let attempt = 1; ; attempt += 1) {
      // Outside the try: a ReplayNeeded is no failure of the handler's.
      await turns?.next();
      try {
        const outcome = await handle(pending, context);
        const failures = outcome === undefined ? [] : retriable(outcome, rejected);
        if (failures.length === 0) return rejected;
        failed = { whole: false, failures };
        pending = failures.map((failure) => failure.record);
      } catch (error) {
        failed = { whole: true, error };
        if (error instanceof UnrecoverableError) {
          if (pending.length > 1) break;
          rejected.push({ record: pending[0] as WorkerRecord<T>, error });
          return rejected;
        }
      }
      const error = failed.whole ? failed.error : failed.failures[0]?.error;
      if (context.signal.aborted) throw interrupted(error);
      if (attempt >= attempts) break;
      turns?.retrying();
      const delayMs = backoffDelayMs(attempt, retry);
      const first = pending[0];
      logger.warn(
        {
          event: "processing.retry",
          size: pending.length,
          partition: first?.partition,
          offset: first?.offset,
          attempt,
          delayMs,
          ...errorFields(error),
        },
        describeError(error).message,
      );
      await sleep(delayMs);
    }

    if (!failed.whole) {
      if (inTransaction) {
        const { message } = describeError(failed.failures[0]?.error);
        throw new FleetError(
          PROCESSING_FAILED,
          `${failed.failures.length} records failed in a transaction: ${message}`,
          {
            cause: failed.failures[0]?.error,
          },
        );
      }
      for (const { record, error } of failed.failures) {
        if (isTransientFailure(error)) throw exhausted(error, attempts);
        rejected.push({ record, error: exhausted(error, attempts) });
      }
      return rejected;
    }
    if (inTransaction) throw failed.error;
    if (isTransientFailure(failed.error)) throw exhausted(failed.error, attempts);
    if (pending.length === 1) {
      rejected.push({ record: pending[0] as WorkerRecord<T>, error: exhausted(failed.error, attempts) });
      return rejected;
    }
    await this.#isolate(pending, failed.error, rejected, turns);
    return rejected;
  }

  /** A failing record fails only itself: after a call failed as a whole, each record is tried once alone. */
  async #isolate(
    records: readonly WorkerRecord<T>[],
    cause: unknown,
    rejected: RecordFailure<T>[],
    turns: HandlerTurns | undefined,
  ): Promise<void> {
    const { handle, context, logger } = this.#options;
    turns?.retrying();
    logger.warn({ event: "batch.isolating_failure", size: records.length, ...errorFields(cause) });
    for (const record of records) {
      await turns?.next();
      let error: unknown;
      try {
        const outcome = await handle([record], context);
        if (outcome !== undefined && outcome.length > 0) error = (outcome[0] as RecordFailure<T>).error;
        else continue;
      } catch (recordError) {
        error = recordError;
      }
      if (isTransientFailure(error)) throw error;
      rejected.push({ record, error });
    }
  }
}

/**
 * A dead letter on its way while the handler runs: awaited (and its failure thrown) only once the handler is done,
 * but a failure may come back before that. Without a handler attached at once, Node counts that failure as an
 * unhandled rejection and ends the service (exit 1): a dead letter refused under exactly-once did just that.
 */
function observed(sending: Promise<void>): Promise<void> {
  sending.catch(() => undefined);
  return sending;
}

/** Moves the unrecoverable failures to `rejected`; returns the others (to retry). */
function retriable<T>(
  outcome: readonly RecordFailure<T>[],
  rejected: RecordFailure<T>[],
): readonly RecordFailure<T>[] {
  if (outcome.length === 0) return outcome;
  const again: RecordFailure<T>[] = [];
  for (const failure of outcome) {
    if (failure.error instanceof UnrecoverableError) rejected.push(failure);
    else again.push(failure);
  }
  return again;
}

function exhausted(error: unknown, attempts: number): FleetError {
  return new FleetError(
    PROCESSING_FAILED,
    `processing failed after ${attempts} attempts: ${describeError(error).message}`,
    { cause: error },
  );
}

/** Stopping is no verdict on the records: they stay uncommitted and are processed after the restart. */
function interrupted(error: unknown): FleetError {
  return new FleetError(
    PROCESSING_INTERRUPTED,
    `processing interrupted by a stop: ${describeError(error).message}`,
    {
      cause: error,
      canRetry: true,
    },
  );
}
