import type { ReportingProducer, MessageHeader } from "@kafka-fleet/kafka";
import type { Logger } from "@kafka-fleet/service";

import type { ConsumedMessage } from "./record.ts";
import type { ConsumerMetrics } from "./metrics.ts";

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
} as const;

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

/** Where the loops set records aside; `send` resolves once the dead letter is durable. */
export interface DeadLetterSink {
  send(message: ConsumedMessage, cause: DeadLetterCause): Promise<void>;
}

/**
 * Sets records aside in the dead-letter topic: original key and value, headers saying where from and why.
 * `send` resolves once the dead letter is acknowledged: only then may the record's offset be committed.
 */
export class DeadLetters implements DeadLetterSink {
  readonly #producer: ReportingProducer;
  readonly #topic: string;
  readonly #groupId: string;
  readonly #logger: Logger;
  readonly #metrics: ConsumerMetrics;

  constructor(options: {
    producer: ReportingProducer;
    topic: string;
    groupId: string;
    logger: Logger;
    metrics: ConsumerMetrics;
  }) {
    this.#producer = options.producer;
    this.#topic = options.topic;
    this.#groupId = options.groupId;
    this.#logger = options.logger;
    this.#metrics = options.metrics;
  }

  async send(message: ConsumedMessage, cause: DeadLetterCause): Promise<void> {
    await this.#producer.send({
      topic: this.#topic,
      key: message.key === undefined || message.key === null ? null : Buffer.from(message.key),
      value: message.value as Buffer,
      headers: deadLetterHeaders(message, cause, { groupId: this.#groupId, failedAt: Date.now() }),
    });
    this.#metrics.deadLetters.inc({ reason: cause.code });
    this.#logger.warn(
      {
        event: "record.dead_lettered",
        topic: message.topic,
        partition: message.partition,
        offset: message.offset,
        code: cause.code,
        dlq: this.#topic,
      },
      cause.message,
    );
  }
}
