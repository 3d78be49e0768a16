import {
  ErrorCodes,
  type MessageHeader,
  type OutgoingMessage,
  type ReportingProducer,
} from "@kafka-fleet/kafka";
import { FleetError, messageOf, type Logger } from "@kafka-fleet/service";
import { asDeadLetterOf, tracingEnabled } from "@kafka-fleet/tracing";

import type { ConsumedMessage } from "./record.ts";
import type { ConsumerMetrics } from "./metrics.ts";
import { routeOf } from "./topic-routes.ts";

/** Header names of a dead letter: where the record came from and why it was set aside. */
export const DeadLetterHeader = {
  originalTopic: "dlq.original.topic",
  originalPartition: "dlq.original.partition",
  originalOffset: "dlq.original.offset",
  originalTimestamp: "dlq.original.timestamp",
  errorCode: "dlq.error.code",
  errorMessage: "dlq.error.message",
  consumerGroup: "dlq.consumer.group",
  failedAt: "dlq.failed.at",
  /** Only on a dead letter sent without its value: the value's size in bytes. */
  valueOmitted: "dlq.value.omitted",
  /** Only on a dead letter sent without its value: why (the dead-letter topic's refusal). */
  valueOmittedReason: "dlq.value.omitted.reason",
} as const;

/** The code of a dead letter refused as too large inside a transaction: the transaction is redone without it. */
export const DEAD_LETTER_TOO_LARGE = "DEAD_LETTER_TOO_LARGE";

const DEAD_LETTER_HEADER_PREFIX = "dlq.";

export interface DeadLetterCause {
  readonly code: string;
  readonly message: string;
}

/**
 * The headers of a dead letter: the record's own (trace ids, content types: whoever reads the dead letter needs
 * them), then where it came from and why it was set aside, all strings (timestamps in ms since the epoch). The
 * `dlq.*` headers of an earlier dead-lettering give way to this one's, so each name appears once.
 */
export function deadLetterHeaders(
  record: {
    topic: string;
    partition: number;
    offset: number;
    timestamp?: number | undefined;
    headers?: readonly MessageHeader[] | undefined;
  },
  cause: DeadLetterCause,
  context: { groupId: string; failedAt: number },
): MessageHeader[] {
  const own = (record.headers ?? []).filter(
    (header) => !Object.keys(header).some((name) => name.startsWith(DEAD_LETTER_HEADER_PREFIX)),
  );
  return [
    ...own,
    { [DeadLetterHeader.originalTopic]: record.topic },
    { [DeadLetterHeader.originalPartition]: String(record.partition) },
    { [DeadLetterHeader.originalOffset]: String(record.offset) },
    { [DeadLetterHeader.originalTimestamp]: String(record.timestamp ?? -1) },
    { [DeadLetterHeader.errorCode]: cause.code },
    // Bounded: a handler's error message is not a place for megabytes.
    { [DeadLetterHeader.errorMessage]: cause.message.slice(0, 1000) },
    { [DeadLetterHeader.consumerGroup]: context.groupId },
    { [DeadLetterHeader.failedAt]: String(context.failedAt) },
  ];
}

/**
 * Whether a send failed because the record is larger than its topic takes: Kafka's MSG_SIZE_TOO_LARGE, from the
 * broker (the topic's max.message.bytes) in the delivery report, or from librdkafka before sending.
 */
export function isRecordTooLarge(error: unknown): boolean {
  const { kafkaCode, code } = (error ?? {}) as { kafkaCode?: unknown; code?: unknown };
  return kafkaCode === ErrorCodes.ERR_MSG_SIZE_TOO_LARGE || code === ErrorCodes.ERR_MSG_SIZE_TOO_LARGE;
}

/**
 * The dead letter sent in place of one the dead-letter topic refused as too large: the same key and headers
 * (the record's own and the dlq.* ones, which say where the original is), no value, and two headers saying that
 * the value was left out, how large it was and why. Nothing else is dropped: the original stays readable at
 * dlq.original.{topic,partition,offset} for as long as the input topic retains it.
 */
export function withoutValue(letter: OutgoingMessage, refusal: string): OutgoingMessage {
  return {
    ...letter,
    value: null,
    headers: [
      ...(letter.headers ?? []),
      { [DeadLetterHeader.valueOmitted]: String(letter.value?.length ?? 0) },
      { [DeadLetterHeader.valueOmittedReason]: refusal.slice(0, 1000) },
    ],
  };
}

/** Where the loops set records aside; `send` resolves once the dead letter is durable. */
export interface DeadLetterSink {
  send(message: ConsumedMessage, cause: DeadLetterCause): Promise<void>;
}

/**
 * Sets records aside in the dead-letter topic: original key and value, headers saying where from and why.
 * `send` resolves once the dead letter is acknowledged: only then may the record's offset be committed.
 *
 * A dead letter the topic refuses as too large (a record near the input topic's size limit, plus the dlq.*
 * headers, in a dead-letter topic that takes no more than the input) is sent again without its value
 * (`withoutValue`), counted and logged: one record must not stop its partition, and a service that exited on it
 * would meet it again after every restart. In a transaction the refusal has spoilt the transaction: `send` throws
 * DEAD_LETTER_TOO_LARGE, the transaction is redone (commitInTransaction), and the record's next `send` in it
 * sends the stand-in.
 */
export class DeadLetters implements DeadLetterSink {
  readonly #producer: Pick<ReportingProducer, "send">;
  /** DLQ_TOPIC: a topic, or a rule with `{topic}` naming each input topic's own. */
  readonly #route: string;
  readonly #groupId: string;
  readonly #logger: Logger;
  readonly #metrics: ConsumerMetrics;
  readonly #transactional: boolean;
  /** Records whose dead letter was refused as too large in a transaction, by position: the refusal. */
  readonly #refused = new Map<string, string>();

  constructor(options: {
    producer: Pick<ReportingProducer, "send">;
    /** DLQ_TOPIC: a topic, or a rule with `{topic}` (`{topic}.dlq`: each input topic's dead letters beside it). */
    topic: string;
    groupId: string;
    logger: Logger;
    metrics: ConsumerMetrics;
    /** The producer is transactional: a refusal aborts the transaction, so it cannot be made good inside it. */
    transactional?: boolean;
  }) {
    this.#producer = options.producer;
    this.#route = options.topic;
    this.#groupId = options.groupId;
    this.#logger = options.logger;
    this.#metrics = options.metrics;
    this.#transactional = options.transactional === true;
  }

  send(message: ConsumedMessage, cause: DeadLetterCause): Promise<void> {
    // With tracing on, the dead letter's trace leads back to the record's producer (asDeadLetterOf); its
    // traceparent replaces the record's.
    if (tracingEnabled()) return asDeadLetterOf(message, () => this.#send(message, cause));
    return this.#send(message, cause);
  }

  async #send(message: ConsumedMessage, cause: DeadLetterCause): Promise<void> {
    const dlq = routeOf(this.#route, message.topic);
    const letter: OutgoingMessage = {
      topic: dlq,
      key: message.key === undefined || message.key === null ? null : Buffer.from(message.key),
      value: message.value ?? null,
      headers: deadLetterHeaders(message, cause, { groupId: this.#groupId, failedAt: Date.now() }),
    };
    const position = `${message.topic}/${message.partition}/${message.offset}`;
    let refusal = this.#refused.get(position);
    if (refusal === undefined) {
      try {
        await this.#producer.send(letter);
      } catch (error) {
        if (!isRecordTooLarge(error)) throw error;
        refusal = messageOf(error);
        if (this.#transactional) {
          this.#refused.set(position, refusal);
          throw new FleetError(
            DEAD_LETTER_TOO_LARGE,
            `the dead letter of ${message.topic}[${message.partition}]@${message.offset} was refused (${refusal}); ` +
              "it goes again without its value",
            // No cause: the delivery error's canRetry would make the whole look like the infrastructure's failure
            // (isTransientFailure), which ends the service instead of redoing the transaction.
          );
        }
      }
    }
    if (refusal !== undefined) {
      // In a transaction, a failure here (typically the stand-in purged: librdkafka spoils the next transaction
      // that writes to the partition which refused the whole one, see commitInTransaction) leaves the refusal
      // remembered: the transaction that redoes the record sends the stand-in again.
      await this.#producer.send(withoutValue(letter, refusal));
      this.#refused.delete(position);
      this.#metrics.deadLetterValuesOmitted.inc();
      this.#logger.warn(
        {
          event: "record.dead_letter_value_omitted",
          topic: message.topic,
          partition: message.partition,
          offset: message.offset,
          valueBytes: letter.value?.length ?? 0,
          dlq,
          reason: refusal,
        },
        `the dead-letter topic refused the record as too large; its dead letter went without the value (raise ${dlq}'s max.message.bytes above the input topic's)`,
      );
    }
    this.#metrics.deadLetters.inc({ reason: cause.code });
    this.#logger.warn(
      {
        event: "record.dead_lettered",
        topic: message.topic,
        partition: message.partition,
        offset: message.offset,
        code: cause.code,
        dlq,
      },
      cause.message,
    );
  }
}
