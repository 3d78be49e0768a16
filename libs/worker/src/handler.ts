import type { OutgoingMessage } from "@kafka-fleet/kafka";
import type { Context } from "@opentelemetry/api";
import type { Logger } from "@kafka-fleet/service";

import type { ConsumerConfig } from "./consumer-config.ts";
import type { WorkerRecord } from "./record.ts";

/**
 * Thrown (or returned in a batch's outcomes) to say that trying again cannot help, e.g. a payload that fails
 * validation: the record goes straight to the dead-letter topic, without retries, and its offset is committed.
 * `code` becomes the dead letter's `dlq.error.code` and the `reason` of `kafka_fleet_dead_letters_total`: keep
 * it to a few stable values.
 */
export class UnrecoverableError extends Error {
  override readonly name = "UnrecoverableError";
  readonly code: string;

  constructor(message: string, options: { code?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code ?? "UNRECOVERABLE";
  }
}

/** One record of a batch that the handler could not process, and why. */
export interface RecordFailure<T> {
  readonly record: WorkerRecord<T>;
  readonly error: unknown;
}

/** Where a handler writes: `send` and `sendAll` resolve once the cluster acknowledged the messages. */
export interface OutputProducer {
  send(message: OutgoingMessage): Promise<void>;
  sendAll(messages: Iterable<OutgoingMessage>): Promise<void>;
}

/** What a handler gets besides its records; the same object on every call. */
export interface WorkerContext {
  /**
   * Aborted when the service is asked to stop. The records in hand are still finished and committed; a handler
   * may use it to cut its own long waits short, and records whose handling fails after it stay uncommitted (they
   * come back after the restart), never dead-lettered.
   */
  readonly signal: AbortSignal;
  readonly logger: Logger;
  /**
   * The output producer. With PROCESSING_GUARANTEE=exactly_once it is the transactional one: what the handler
   * sends is committed together with the batch's input offsets, or not at all.
   */
  readonly producer: OutputProducer;
  readonly config: Readonly<ConsumerConfig>;
  /**
   * The OpenTelemetry context of the call in progress: with tracing on, its "process" span's, so that a span the
   * handler starts with it as parent (`tracer.startSpan(name, {}, ctx.traceContext)`) nests under the record's
   * (or batch's) processing; `startActiveSpan` nests there anyway. The root context when tracing is off.
   */
  readonly traceContext: Context;
}

/**
 * What a worker does with records; it resolves once their effects are durable.
 *
 * - Resolving with nothing (or an empty list): every record succeeded; their offsets are committed.
 * - Resolving with failures (batch mode): the records not listed succeeded and are never run again. A listed
 *   record whose error is an `UnrecoverableError` goes to the dead-letter topic at once; the others are handed
 *   back, alone with the other failures of the call, after a backoff, up to RETRY_MAX times, and then
 *   dead-lettered. Only records of the call may be listed.
 * - Rejecting: the call failed as a whole. It is retried whole (RETRY_MAX times, exponential backoff from
 *   RETRY_BACKOFF_MS); then each record is tried once alone and those that still fail are dead-lettered. An
 *   `UnrecoverableError` skips the retries: a record alone is dead-lettered at once, a larger call is split into
 *   records at once.
 * - A failure of the infrastructure (a `FleetError` that can be retried, e.g. a delivery that timed out) is never
 *   dead-lettered: once the retries are used up the records stay uncommitted and the service exits 1.
 *
 * - Order (batch mode): each partition's records come in offset order, call after call; a later batch's call may
 *   start before an earlier one's has resolved (pipelining). When a call is retried, the later batches of its
 *   partitions already handed over are handed over again after it, in order, so a retry never lets a partition's
 *   records be seen out of order (some may be seen twice).
 *
 * With PROCESSING_GUARANTEE=exactly_once nothing is retried inside the transaction: any failure other than an
 * unrecoverable record aborts it and ends the service, and the batch is processed again after the restart.
 * In single mode `records` always holds exactly one record.
 */
export type Handle<T> = (
  records: readonly WorkerRecord<T>[],
  context: WorkerContext,
) => Promise<void | readonly RecordFailure<T>[]>;
