import type { Logger } from "@kafka-fleet/service";

import type { ClientIdentity } from "./client-config.ts";
import { reliableProducerConfig } from "./client-config.ts";
import { connectClient, throttledClientErrorLog } from "./connect.ts";
import { DeliveryError } from "./errors.ts";
import {
  ErrorCodes,
  Producer,
  toError,
  type KafkaConsumerClient,
  type LibrdKafkaError,
  type MessageHeader,
  type ProducerClient,
  type TopicPartitionOffset,
} from "./rdkafka.ts";

/** Messages produced and not yet reported to JavaScript: librdkafka's default queue size. */
const MAX_IN_FLIGHT = 100_000;

/** Called once per message with the delivery report's outcome: null when the cluster acknowledged it. */
export type DeliveryCallback = (error: DeliveryError | null) => void;

export interface OutgoingMessage {
  readonly topic: string;
  readonly value: Buffer;
  readonly key?: Buffer | null;
  readonly headers?: MessageHeader[];
}

export interface DeliveryProducerOptions {
  readonly identity: ClientIdentity;
  readonly logger: Logger;
  readonly connectTimeoutMs: number;
  readonly purpose?: string;
  /** Extra librdkafka settings, e.g. "queue.buffering.max.messages". */
  readonly config?: Record<string, string | number | boolean>;
  /**
   * Makes the producer transactional: writes and consumer offsets commit or abort together
   * (`beginTransaction` … `commitTransaction`).
   */
  readonly transactionalId?: string;
}

/**
 * An idempotent, acks=all producer where the delivery report, not produce(), decides that a message was sent.
 * When librdkafka's local queue is full, callers wait for room (backpressure) instead of dropping or crashing.
 */
export class DeliveryProducer {
  readonly #client: ProducerClient;
  readonly #logger: Logger;
  #inFlight = 0;
  readonly #maxInFlight: number;
  #defaultOnDelivery: DeliveryCallback = () => undefined;
  #refusedByLibrdkafka = false;
  #roomWaiters: Array<() => void> = [];
  #drainWaiters: Array<() => void> = [];
  #closing: Promise<void> | undefined;

  private constructor(client: ProducerClient, logger: Logger, maxInFlight: number) {
    this.#client = client;
    this.#logger = logger;
    this.#maxInFlight = maxInFlight;
  }

  static async connect(options: DeliveryProducerOptions): Promise<DeliveryProducer> {
    const client = new Producer({
      ...reliableProducerConfig(options.identity, options.purpose),
      ...(options.transactionalId === undefined
        ? {}
        : {
            "transactional.id": options.transactionalId,
            // A crashed member's open transaction blocks read_committed readers until the coordinator aborts it.
            "transaction.timeout.ms": 10_000,
            // librdkafka requires a message's delivery deadline to fit in its transaction's.
            "delivery.timeout.ms": 10_000,
          }),
      ...options.config,
    });
    const producer = new DeliveryProducer(client, options.logger, MAX_IN_FLIGHT);
    client.on("delivery-report", (error, report) =>
      producer.#onDeliveryReport(error, report.topic, report.opaque),
    );
    client.on("event.error", throttledClientErrorLog(options.logger, "producer"));
    await connectClient(client, options.identity.bootstrapServers, options.connectTimeoutMs);
    // Delivery reports are served by a background thread as soon as they arrive, not on a JS timer.
    client.setPollInBackground(true);
    if (options.transactionalId !== undefined) {
      // Fences any earlier producer with the same id and aborts what it left open.
      await producer.#transactionStep((done) => client.initTransactions(options.connectTimeoutMs, done));
    }
    return producer;
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

  #transactionStep(step: (done: (error: LibrdKafkaError | null | undefined) => void) => void): Promise<void> {
    return new Promise((resolve, reject) => step((error) => (error ? reject(toError(error)) : resolve())));
  }

  /**
   * Sets the callback for messages produced with `tryProduce(message)` and no callback of their own: one shared
   * function instead of one reference per message (the fast path of a range producer).
   */
  onDelivery(callback: DeliveryCallback): void {
    this.#defaultOnDelivery = callback;
  }

  /** Messages produced whose delivery report has not arrived yet. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /**
   * Queues one message. Returns false, and queues nothing, when there is no room: wait with `waitForRoom()` and
   * try again. `onDelivery` is called exactly once for every message queued.
   *
   * Room is bounded twice. librdkafka refuses messages beyond its own queue (QUEUE_FULL), but it forgets a message
   * as soon as its report is ready, while the report itself still waits for the JavaScript thread, which takes
   * reports in small slices per event-loop turn. A producer faster than that slice would pile up reports without
   * bound (memory grows by gigabytes), so messages whose report has not reached us count against room too.
   */
  tryProduce(message: OutgoingMessage, onDelivery: DeliveryCallback = this.#defaultOnDelivery): boolean {
    if (this.#inFlight >= this.#maxInFlight) {
      this.#refusedByLibrdkafka = false;
      return false;
    }
    try {
      this.#client.produce(
        message.topic,
        null,
        message.value,
        message.key ?? null,
        // librdkafka stamps the create time itself.
        null,
        // No per-message opaque on the hot path: each one costs the client a persistent reference.
        onDelivery === this.#defaultOnDelivery ? undefined : onDelivery,
        message.headers,
      );
    } catch (error) {
      if ((error as LibrdKafkaError).code === ErrorCodes.ERR__QUEUE_FULL) {
        this.#refusedByLibrdkafka = true;
        return false;
      }
      throw error;
    }
    this.#inFlight += 1;
    return true;
  }

  /** Resolves when a delivery report has made room in the queue (or soon, if none is pending). */
  waitForRoom(): Promise<void> {
    return new Promise((resolve) => {
      this.#roomWaiters.push(resolve);
      // With nothing in flight no report will come to wake us; look again shortly.
      if (this.#inFlight === 0) setTimeout(() => this.#wakeRoomWaiters(), 10);
    });
  }

  /** Produces with backpressure and resolves on the message's delivery report (rejects with a DeliveryError). */
  async send(message: OutgoingMessage): Promise<void> {
    const delivered = new Promise<void>((resolve, reject) => {
      const onDelivery: DeliveryCallback = (error) => (error ? reject(error) : resolve());
      const attempt = (): Promise<void> | void => {
        if (!this.tryProduce(message, onDelivery)) return this.waitForRoom().then(attempt);
      };
      Promise.resolve(attempt()).catch(reject);
    });
    return delivered;
  }

  /**
   * Waits until every message queued has had its delivery report handled here, or `timeoutMs` passed, and
   * returns how many are still without one. librdkafka's own flush is not enough: it returns once its queue is
   * empty, while the reports may still be on their way to the JavaScript thread.
   */
  async flush(timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (this.#inFlight > 0 && Date.now() < deadline) {
      const left = Math.max(1, deadline - Date.now());
      const drained = new Promise<void>((resolve) => this.#drainWaiters.push(resolve));
      await new Promise<void>((resolve) => this.#client.flush(left, () => resolve()));
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        drained,
        new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.min(left, 100)))),
      ]);
      clearTimeout(timer);
    }
    return this.#inFlight;
  }

  /** Flushes within `flushTimeoutMs`, then disconnects. Safe to call twice: the second call awaits the first. */
  close(flushTimeoutMs: number): Promise<void> {
    this.#closing ??= (async () => {
      const left = await this.flush(flushTimeoutMs);
      if (left > 0) {
        this.#logger.warn({
          event: "producer.flush_incomplete",
          undelivered: left,
          timeoutMs: flushTimeoutMs,
        });
      }
      await new Promise<void>((resolve) => this.#client.disconnect(0, () => resolve()));
    })();
    return this.#closing;
  }

  #onDeliveryReport(error: LibrdKafkaError | null | undefined, topic: string, opaque: unknown): void {
    this.#inFlight -= 1;
    const onDelivery = (opaque as DeliveryCallback | undefined) ?? this.#defaultOnDelivery;
    onDelivery(error ? new DeliveryError(topic, error) : null);
    // Wake senders once there is real room: librdkafka frees a slot per report; our own bound waits for a
    // tenth of the window to drain, so a waiting sender is not woken (and refused) once per report.
    if (this.#refusedByLibrdkafka || this.#inFlight <= this.#maxInFlight * 0.9) this.#wakeRoomWaiters();
    if (this.#inFlight === 0 && this.#drainWaiters.length > 0) {
      const waiters = this.#drainWaiters;
      this.#drainWaiters = [];
      for (const wake of waiters) wake();
    }
  }

  #wakeRoomWaiters(): void {
    if (this.#roomWaiters.length === 0) return;
    const waiters = this.#roomWaiters;
    this.#roomWaiters = [];
    for (const wake of waiters) wake();
  }
}
