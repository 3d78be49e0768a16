import { endSpan, headersFor, startSendSpan, tracingEnabled } from "@kafka-fleet/tracing";

import { DeliveryError } from "./errors.ts";
import type { KafkaLogger } from "./instruments.ts";
import {
  RoomWait,
  connectProducer,
  disconnectProducer,
  queueMessage,
  type OutgoingMessage,
  type ProducerOptions,
} from "./producer-client.ts";
import {
  toError,
  type KafkaConsumerClient,
  type LibrdKafkaError,
  type ProducerClient,
  type TopicPartitionOffset,
} from "./rdkafka.ts";

export interface ReportingProducerOptions extends ProducerOptions {
  /**
   * Makes the producer transactional: writes and consumer offsets commit or abort together
   * (`beginTransaction` … `commitTransaction`).
   */
  readonly transactionalId?: string;
}

/** The messages of one `sendAll`, resolved on the last one's report. */
interface ReportGroup {
  remaining: number;
  failure: DeliveryError | undefined;
  readonly done: () => void;
}

/**
 * A producer for callers that wait on small groups of messages while others keep sending (a consumer's results
 * and dead letters): librdkafka reports every message, and a group resolves on its own last report. Failure-only
 * reports (DeliveryProducer) would need librdkafka's whole queue empty, which a pipelined consumer that keeps
 * sending rarely lets happen (docs/benchmarks.md, Findings). Idempotent and acks=all like every producer here;
 * optionally transactional.
 */
export class ReportingProducer {
  readonly #client: ProducerClient;
  readonly #logger: KafkaLogger;
  readonly #room: RoomWait;
  #failed = 0;
  /** Messages queued whose report has not come yet. */
  #unreported = 0;
  #unreportedWaiters: Array<() => void> = [];
  #closing: Promise<void> | undefined;

  private constructor(client: ProducerClient, logger: KafkaLogger) {
    this.#client = client;
    this.#logger = logger;
    this.#room = new RoomWait(client);
  }

  static async connect(options: ReportingProducerOptions): Promise<ReportingProducer> {
    const client = await connectProducer(options, {
      "delivery.report.only.error": false,
      ...(options.transactionalId === undefined
        ? {}
        : {
            "transactional.id": options.transactionalId,
            // A crashed member's open transaction blocks read_committed readers until the coordinator aborts it.
            "transaction.timeout.ms": 10_000,
            // librdkafka requires a message's delivery deadline to fit in its transaction's.
            "delivery.timeout.ms": 10_000,
          }),
    });
    const producer = new ReportingProducer(client, options.logger);
    client.on("delivery-report", (error, report) => producer.#onReport(error, report.topic, report.opaque));
    if (options.transactionalId !== undefined) {
      // Fences any earlier producer with the same id and aborts what it left open.
      await producer.#transactionStep((done) => client.initTransactions(options.connectTimeoutMs, done));
    }
    return producer;
  }

  /** Messages the cluster did not acknowledge so far. */
  get failed(): number {
    return this.#failed;
  }

  /** Queues one message (waiting for room) and resolves once the cluster acknowledged it. */
  send(message: OutgoingMessage): Promise<void> {
    return this.sendAll([message]);
  }

  /**
   * Queues all `messages` (waiting for room) and resolves once the cluster acknowledged all of them; rejects with
   * the first DeliveryError among them once all are reported.
   */
  sendAll(messages: Iterable<OutgoingMessage>): Promise<void> {
    let all = [...messages];
    if (all.length === 0) return Promise.resolve();
    if (tracingEnabled()) {
      // One "send" span for the group, a child of the caller's context (the handler's process span, or the
      // dead letter's, see asDeadLetterOf), ended on the group's last report; its context in every message.
      const span = startSendSpan((all[0] as OutgoingMessage).topic, { count: all.length });
      all = all.map((message) => ({ ...message, headers: headersFor(span, message.headers) }));
      return this.#sendGroup(all).then(
        () => endSpan(span),
        (error: unknown) => {
          endSpan(span, error);
          throw error;
        },
      );
    }
    return this.#sendGroup(all);
  }

  #sendGroup(all: readonly OutgoingMessage[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const group: ReportGroup = {
        remaining: all.length,
        failure: undefined,
        done: () => (group.failure === undefined ? resolve() : reject(group.failure)),
      };
      void (async () => {
        for (const message of all) {
          while (!queueMessage(this.#client, message, group)) await this.#room.wait();
          this.#unreported += 1;
        }
      })().catch(reject);
    });
  }

  beginTransaction(): Promise<void> {
    return this.#transactionStep((done) => this.#client.beginTransaction(done));
  }

  /**
   * Adds the consumer's offsets (each the next offset to read) to the open transaction. The consumer's group
   * metadata travels with them, so a member fenced by a rebalance cannot commit.
   */
  sendOffsetsToTransaction(
    offsets: readonly TopicPartitionOffset[],
    consumer: KafkaConsumerClient,
  ): Promise<void> {
    const plain = offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset }));
    return this.#transactionStep((done) =>
      this.#client.sendOffsetsToTransaction(plain, consumer, 30_000, done),
    );
  }

  commitTransaction(): Promise<void> {
    return this.#transactionStep((done) => this.#client.commitTransaction(30_000, done));
  }

  abortTransaction(): Promise<void> {
    return this.#transactionStep((done) => this.#client.abortTransaction(30_000, done));
  }

  /**
   * Waits until every message queued has had its report, or `timeoutMs` passed, and returns how many are still
   * unreported (0 = all decided; `failed` says how many of them failed).
   */
  async flush(timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (this.#unreported > 0 && Date.now() < deadline) {
      const reported = new Promise<void>((resolve) => this.#unreportedWaiters.push(resolve));
      const left = Math.max(1, deadline - Date.now());
      // librdkafka's flush returns once its queue is empty; the reports may still be on their way to us.
      await new Promise<void>((resolve) => this.#client.flush(left, () => resolve()));
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([reported, new Promise<void>((resolve) => (timer = setTimeout(resolve, 100)))]);
      clearTimeout(timer);
    }
    return this.#unreported;
  }

  /** Flushes within `flushTimeoutMs`, then disconnects. Safe to call twice: the second call awaits the first. */
  close(flushTimeoutMs: number): Promise<void> {
    this.#closing ??= (async () => {
      const left = await this.flush(flushTimeoutMs);
      await disconnectProducer(this.#client, this.#logger, left, flushTimeoutMs);
    })();
    return this.#closing;
  }

  #transactionStep(step: (done: (error: LibrdKafkaError | null | undefined) => void) => void): Promise<void> {
    return new Promise((resolve, reject) => step((error) => (error ? reject(toError(error)) : resolve())));
  }

  #onReport(error: LibrdKafkaError | null | undefined, topic: string, opaque: unknown): void {
    const failure = error ? new DeliveryError(topic, error) : undefined;
    if (failure !== undefined) this.#failed += 1;
    this.#unreported -= 1;
    const group = opaque as ReportGroup | undefined;
    if (group !== undefined) {
      group.failure ??= failure;
      group.remaining -= 1;
      if (group.remaining === 0) group.done();
    }
    if (this.#unreported === 0 && this.#unreportedWaiters.length > 0) {
      const waiters = this.#unreportedWaiters;
      this.#unreportedWaiters = [];
      for (const wake of waiters) wake();
    }
  }
}
