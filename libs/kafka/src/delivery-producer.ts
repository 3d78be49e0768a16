import { setImmediate as yieldToEventLoop } from "node:timers/promises";

import { endSpan, headersFor, startSendSpan, tracingEnabled } from "@kafka-fleet/tracing";

import { DeliveryLedger } from "./delivery-ledger.ts";
import { DeliveryError } from "./errors.ts";
import type { KafkaLogger } from "./instruments.ts";
import {
  RoomWait,
  connectProducer,
  disconnectProducer,
  queueMessage,
  queueRun,
  type OutgoingMessage,
  type OutgoingRun,
  type ProducerOptions,
} from "./producer-client.ts";
import { ErrorCodes, toError, type LibrdKafkaError, type ProducerClient } from "./rdkafka.ts";
import { DRAIN_STEP_MS, MAX_DRAINS } from "./tunables.ts";

// DRAIN_STEP_MS: a drain is one long flush, started again if it times out (so a deadline or a stop is noticed);
// librdkafka's flush looks at its message count between waits of up to 10 ms, so a drain ends soon after the
// queue emptied, and shorter flushes would wake every broker thread again and again.

/** Called once for every message the cluster did not acknowledge. */
export type FailureCallback = (error: DeliveryError) => void;

export interface DeliveryProducerOptions extends ProducerOptions {
  /** librdkafka statistics every so many ms: progress (`acknowledged`) between drains. */
  readonly statisticsIntervalMs?: number;
  /**
   * With tracing on, a "send" span for each message and its context in the message's headers (the default).
   * false: the caller puts trace context in the headers itself (the producer service: one span per run of records,
   * as a span per record costs more than the send).
   */
  readonly spanPerMessage?: boolean;
}

/** Someone waiting for messages [0, to) to be decided; `from` is where the ones they care about begin. */
interface Waiter {
  readonly from: number;
  readonly to: number;
  /** true: resolve once decided, whatever the outcome (a flush); false: reject if any of them failed. */
  readonly anyOutcome: boolean;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/**
 * A producer for streams (the producer service), where the cluster's acknowledgement, not produce(), decides
 * that a message was sent. librdkafka reports failures only (`delivery.report.only.error`): a JavaScript object
 * and an event per acknowledged message used to cost much of the producer's main thread. A message counts as
 * acknowledged once librdkafka's queue has drained after it was queued and no failure was reported that could be
 * its own (`DeliveryLedger`). When the queue is full, senders wait for room (backpressure) instead of dropping or
 * crashing. For callers that wait on small groups while others keep sending, see ReportingProducer.
 */
export class DeliveryProducer {
  readonly #client: ProducerClient;
  readonly #logger: KafkaLogger;
  readonly #room: RoomWait;
  readonly #ledger = new DeliveryLedger();
  #onFailure: FailureCallback = () => undefined;
  #waiters: Waiter[] = [];
  /** Drains under way, each by the number of messages queued when it began (it decides all before that). */
  readonly #drainStarts: number[] = [];
  /** Acknowledged messages according to librdkafka's statistics (progress only: the ledger is the verdict). */
  #reportedAcknowledged = 0;
  /** Per topic, each partition's last acknowledged message id in librdkafka's latest statistics. */
  readonly #acknowledgedIds = new Map<string, number[]>();
  #closing: Promise<void> | undefined;

  readonly #spanPerMessage: boolean;

  private constructor(client: ProducerClient, logger: KafkaLogger, spanPerMessage: boolean) {
    this.#client = client;
    this.#logger = logger;
    this.#room = new RoomWait(client);
    this.#spanPerMessage = spanPerMessage;
  }

  static async connect(options: DeliveryProducerOptions): Promise<DeliveryProducer> {
    const stats = options.statisticsIntervalMs;
    const client = await connectProducer(
      options,
      stats === undefined ? {} : { "statistics.interval.ms": stats },
    );
    const producer = new DeliveryProducer(client, options.logger, options.spanPerMessage ?? true);
    client.on("delivery-report", (error, report) => producer.#onReport(error, report.topic));
    if (stats !== undefined)
      client.on("event.stats", (event: { message: string }) => producer.#onStats(event.message));
    return producer;
  }

  /** Sets the callback called once for every message that failed (the range producer counts and logs them). */
  onFailure(callback: FailureCallback): void {
    this.#onFailure = callback;
  }

  get failed(): number {
    return this.#ledger.failed;
  }

  /**
   * Messages acknowledged by the cluster as far as known now: at least those decided by a drain, or more, as
   * librdkafka's statistics report them (each partition's last acknowledged message id, when statistics are on).
   */
  get acknowledged(): number {
    const { queued, failed } = this.#ledger;
    return Math.max(this.#ledger.acknowledged, Math.min(this.#reportedAcknowledged, queued - failed));
  }

  /**
   * Each partition of `topic`'s last acknowledged message id, by partition, from librdkafka's latest statistics
   * (empty before the first, or without statistics). librdkafka numbers each partition's messages 1, 2, … in the
   * order they were queued, and with idempotence a partition's messages are acknowledged in that order: id n
   * means its first n messages are written. A caller that picks each message's partition itself can tell from
   * this which of its messages are acknowledged, long before a drain says so.
   */
  acknowledgedIds(topic: string): readonly number[] {
    return this.#acknowledgedIds.get(topic) ?? [];
  }

  /**
   * How many of the first messages queued are known acknowledged: decided by a drain, or the first `reported`
   * (the caller's reading of `acknowledgedIds`), never up to a message that may have failed (DeliveryLedger).
   */
  acknowledgedPrefix(reported = 0): number {
    return this.#ledger.acknowledgedPrefix(reported);
  }

  /**
   * Queues one message. Returns false, and queues nothing, when librdkafka's queue is full: wait with
   * `waitForRoom()` and try again. The message's bytes are copied before it returns: its buffers may be reused.
   */
  tryProduce(message: OutgoingMessage): boolean {
    if (this.#spanPerMessage && tracingEnabled()) return this.#tryProduceTraced(message);
    if (!queueMessage(this.#client, message)) return false;
    this.#ledger.queue();
    return true;
  }

  /**
   * Queues a run of values for one partition, without key or headers, in one call into the client: the same
   * messages as `count` tryProduce() calls, at a fraction of their cost per message. Returns how many were queued,
   * in order; fewer than `count` when librdkafka's queue is full: wait with `waitForRoom()` and queue the rest. No
   * send spans: a caller that traces puts its context in each message's headers, which a run cannot carry.
   */
  tryProduceRun(run: OutgoingRun): number {
    const queued = queueRun(this.#client, run);
    this.#ledger.queue(queued);
    return queued;
  }

  /**
   * With tracing on: a "send" span for the message, its context in the message's headers. The span ends once the
   * message is queued (this producer learns of deliveries in bulk, not one by one). A span whose message the
   * full queue refused is never ended, so never exported: the retry has its own.
   */
  #tryProduceTraced(message: OutgoingMessage): boolean {
    const span = startSendSpan(
      message.topic,
      message.partition === undefined ? {} : { partition: message.partition },
    );
    if (!queueMessage(this.#client, { ...message, headers: headersFor(span, message.headers) })) return false;
    this.#ledger.queue();
    endSpan(span);
    return true;
  }

  /** Resolves once the queue has drained or ROOM_WAIT_MS passed; every waiting sender shares one wait. */
  waitForRoom(): Promise<void> {
    return this.#room.wait();
  }

  /** Queues one message, waiting for room as long as the queue is full. */
  async produce(message: OutgoingMessage): Promise<void> {
    while (!this.tryProduce(message)) await this.waitForRoom();
  }

  /**
   * Resolves once every message queued from position `from` (the count queued before them) until now is
   * acknowledged; rejects with a DeliveryError if a failure was reported that may be one of them. Many callers
   * share one drain.
   */
  #acknowledgement(from: number): Promise<void> {
    return this.#wait(from, this.#ledger.queued, false);
  }

  /** Queues one message (waiting for room) and resolves once the cluster acknowledged it. */
  async send(message: OutgoingMessage): Promise<void> {
    const from = this.#ledger.queued;
    await this.produce(message);
    await this.#acknowledgement(from);
  }

  /**
   * Queues all `messages` (waiting for room) and resolves once the cluster acknowledged all of them. That takes a
   * drain: librdkafka's whole queue empty, which a producer that keeps sending rarely sees.
   */
  async sendAll(messages: Iterable<OutgoingMessage>): Promise<void> {
    const from = this.#ledger.queued;
    for (const message of messages) {
      // An await only when the queue is full: one per message would cost a turn of the event loop each.
      if (!this.tryProduce(message)) await this.produce(message);
    }
    await this.#acknowledgement(from);
  }

  /**
   * Waits until every message queued so far is acknowledged or failed, or `timeoutMs` passed, and returns how
   * many are still undecided (0 = all decided; `failed` says how many of them failed).
   */
  async flush(timeoutMs: number): Promise<number> {
    const target = this.#ledger.queued;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.#wait(0, target, true).catch(() => undefined),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
    ]);
    clearTimeout(timer);
    return Math.max(0, target - this.#ledger.decided);
  }

  /** Flushes within `flushTimeoutMs`, then disconnects. Safe to call twice: the second call awaits the first. */
  close(flushTimeoutMs: number): Promise<void> {
    this.#closing ??= (async () => {
      const left = await this.flush(flushTimeoutMs);
      // Whoever still waits would wait for a queue nobody drains any more.
      this.#settleWaiters(new Error("producer closed"));
      await disconnectProducer(this.#client, this.#logger, left, flushTimeoutMs);
    })();
    return this.#closing;
  }

  #wait(from: number, to: number, anyOutcome: boolean): Promise<void> {
    if (to <= this.#ledger.decided) {
      return anyOutcome || this.#ledger.outcome(from, to) === "acknowledged"
        ? Promise.resolve()
        : Promise.reject(this.#failure(from, to));
    }
    const waited = new Promise<void>((resolve, reject) =>
      this.#waiters.push({ from, to, anyOutcome, resolve, reject }),
    );
    this.#startDrainIfUseful();
    return waited;
  }

  /**
   * Starts a drain when someone waits for messages that no drain under way covers (each decides only what was
   * queued before it began), up to MAX_DRAINS at once: a message queued just after a drain began then waits
   * for about one drain, not for the rest of that one and all of the next.
   */
  #startDrainIfUseful(): void {
    const latest = this.#drainStarts.at(-1) ?? -1;
    if (this.#drainStarts.length >= MAX_DRAINS || !this.#waiters.some((waiter) => waiter.to > latest)) return;
    void this.#drain();
  }

  /**
   * One drain: librdkafka's flush returns once its queue is empty, which decides every message queued before the
   * drain began; a flush that timed out is started again.
   */
  async #drain(): Promise<void> {
    const queuedAtStart = this.#ledger.queued;
    this.#drainStarts.push(queuedAtStart);
    try {
      for (;;) {
        const error = await new Promise<LibrdKafkaError | null | undefined>((resolve) =>
          this.#client.flush(DRAIN_STEP_MS, (flushError) => resolve(flushError)),
        );
        if (!error) break;
        if (error.code !== ErrorCodes.ERR__TIMED_OUT) {
          // Disconnected: nothing will be decided any more.
          this.#settleWaiters(toError(error));
          return;
        }
      }
      await this.#failureReportsHandled();
      this.#ledger.drained(queuedAtStart);
      this.#settleWaiters();
    } finally {
      this.#drainStarts.splice(this.#drainStarts.indexOf(queuedAtStart), 1);
      if (this.#waiters.length > 0) this.#startDrainIfUseful();
    }
  }

  /**
   * librdkafka's flush returns once every failure report was handed to the binding, which passes them on to
   * JavaScript in slices of 100 per event-loop turn: wait until two turns in a row bring none.
   */
  async #failureReportsHandled(): Promise<void> {
    for (let quiet = 0; quiet < 2;) {
      const before = this.#ledger.failed;
      await yieldToEventLoop();
      quiet = this.#ledger.failed === before ? quiet + 1 : 0;
    }
  }

  /** Resolves or rejects the waiters that are decided now (all of them, with `error`, when given). */
  #settleWaiters(error?: Error): void {
    const waiting: Waiter[] = [];
    for (const waiter of this.#waiters) {
      if (error !== undefined) waiter.reject(error);
      else if (waiter.to > this.#ledger.decided) waiting.push(waiter);
      else if (waiter.anyOutcome || this.#ledger.outcome(waiter.from, waiter.to) === "acknowledged")
        waiter.resolve();
      else waiter.reject(this.#failure(waiter.from, waiter.to));
    }
    this.#waiters = waiting;
  }

  #failure(from: number, to: number): DeliveryError {
    return new DeliveryError("the cluster", {
      code: ErrorCodes.ERR__FAIL,
      message: `a failure was reported for one of the ${to - from} messages sent`,
    });
  }

  /** Only failures are reported (delivery.report.only.error). */
  #onReport(error: LibrdKafkaError | null | undefined, topic: string): void {
    if (!error) return;
    this.#ledger.fail();
    this.#onFailure(new DeliveryError(topic, error));
  }

  #onStats(json: string): void {
    type PartitionStats = { acked_msgid?: number };
    let stats: { topics?: Record<string, { partitions?: Record<string, PartitionStats> }> };
    try {
      stats = JSON.parse(json) as typeof stats;
    } catch {
      return;
    }
    // Each partition numbers its messages 1, 2, … in the order they were queued; with idempotence librdkafka
    // reports the last one the cluster acknowledged. Partition -1 holds messages not yet partitioned.
    let acknowledged = 0;
    for (const [name, topic] of Object.entries(stats.topics ?? {})) {
      const ids = this.#acknowledgedIds.get(name) ?? [];
      for (const [partition, partitionStats] of Object.entries(topic.partitions ?? {})) {
        if (partition === "-1") continue;
        const id = partitionStats.acked_msgid ?? 0;
        acknowledged += id;
        // Never backwards: a partition missing from one report keeps what an earlier one said.
        ids[Number(partition)] = Math.max(ids[Number(partition)] ?? 0, id);
      }
      this.#acknowledgedIds.set(name, ids);
    }
    this.#reportedAcknowledged = Math.max(this.#reportedAcknowledged, acknowledged);
  }
}
