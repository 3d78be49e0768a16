import { setImmediate as yieldToEventLoop } from "node:timers/promises";

import type { ClientIdentity } from "./client-config.ts";
import { reliableProducerConfig } from "./client-config.ts";
import { connectClient, throttledClientErrorLog } from "./connect.ts";
import { DeliveryLedger } from "./delivery-ledger.ts";
import { DeliveryError } from "./errors.ts";
import type { KafkaLogger } from "./instruments.ts";
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
import { DRAIN_STEP_MS, MAX_DRAINS, ROOM_WAIT_MS } from "./tunables.ts";

// ROOM_WAIT_MS: a sender that found librdkafka's queue full waits inside librdkafka's flush (a condition wait on
// a worker thread, not on the event loop); with reports for failures only no per-message event could say "room
// again" sooner. DRAIN_STEP_MS: a drain is one long flush, started again if it times out (so a deadline or a stop
// is noticed); librdkafka's flush looks at its message count between waits of up to 10 ms, so a drain ends soon
// after the queue emptied, and shorter flushes would wake every broker thread again and again.

/** Called once for every message the cluster did not acknowledge. */
export type FailureCallback = (error: DeliveryError) => void;

export interface OutgoingMessage {
  readonly topic: string;
  /** null: no value (a tombstone to compaction; a dead letter whose value was omitted). */
  readonly value: Buffer | null;
  readonly key?: Buffer | null;
  readonly headers?: MessageHeader[];
}

export interface DeliveryProducerOptions {
  readonly identity: ClientIdentity;
  readonly logger: KafkaLogger;
  readonly connectTimeoutMs: number;
  readonly purpose?: string;
  /**
   * How long librdkafka waits to fill a request (linger.ms, 5 by default), below the user's own
   * KAFKA_CLIENT_LINGER_MS: unlike `config`, the user's setting wins.
   */
  readonly lingerMs?: number;
  /** Extra librdkafka settings, e.g. "queue.buffering.max.messages". */
  readonly config?: Record<string, string | number | boolean>;
  /**
   * Makes the producer transactional: writes and consumer offsets commit or abort together
   * (`beginTransaction` … `commitTransaction`).
   */
  readonly transactionalId?: string;
  /**
   * A delivery report for every message instead of failures only, for a producer whose callers wait for small
   * groups of messages while it keeps sending (a consumer's results): see `sendAll`.
   */
  readonly reportEveryMessage?: boolean;
  /** librdkafka statistics every so many ms: progress (`acknowledged`) between drains. */
  readonly statisticsIntervalMs?: number;
}

/** Every-message mode: the messages of one `sendAll`, resolved on the last one's report. */
interface ReportGroup {
  remaining: number;
  failure: DeliveryError | undefined;
  readonly done: () => void;
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
 * An idempotent, acks=all producer where the cluster's acknowledgement, not produce(), decides that a message was
 * sent. librdkafka reports failures only (`delivery.report.only.error`): a JavaScript object and an event per
 * acknowledged message used to cost much of the producer's main thread. A message counts as acknowledged
 * once librdkafka's queue has drained after it was queued and no failure was reported that could be its own
 * (`DeliveryLedger`). When the queue is full, senders wait for room (backpressure) instead of dropping or
 * crashing.
 */
export class DeliveryProducer {
  readonly #client: ProducerClient;
  readonly #logger: KafkaLogger;
  readonly #ledger = new DeliveryLedger();
  #onFailure: FailureCallback = () => undefined;
  #waiters: Waiter[] = [];
  /** Drains under way, each by the number of messages queued when it began (it decides all before that). */
  readonly #drainStarts: number[] = [];
  #roomWait: Promise<void> | undefined;
  /** Acknowledged messages according to librdkafka's statistics (progress only: the ledger is the verdict). */
  #reportedAcknowledged = 0;
  #closing: Promise<void> | undefined;

  readonly #everyMessage: boolean;
  /** Every-message mode: messages queued whose report has not come yet. */
  #unreported = 0;
  #unreportedWaiters: Array<() => void> = [];

  private constructor(client: ProducerClient, logger: KafkaLogger, everyMessage: boolean) {
    this.#client = client;
    this.#logger = logger;
    this.#everyMessage = everyMessage;
  }

  static async connect(options: DeliveryProducerOptions): Promise<DeliveryProducer> {
    const client = new Producer({
      ...reliableProducerConfig(options.identity, options.purpose, options.lingerMs),
      ...(options.statisticsIntervalMs === undefined
        ? {}
        : { "statistics.interval.ms": options.statisticsIntervalMs }),
      ...(options.transactionalId === undefined
        ? {}
        : {
            "transactional.id": options.transactionalId,
            // A crashed member's open transaction blocks read_committed readers until the coordinator aborts it.
            "transaction.timeout.ms": 10_000,
            // librdkafka requires a message's delivery deadline to fit in its transaction's.
            "delivery.timeout.ms": 10_000,
          }),
      ...(options.reportEveryMessage === true ? { "delivery.report.only.error": false } : {}),
      ...options.config,
    });
    const producer = new DeliveryProducer(client, options.logger, options.reportEveryMessage === true);
    client.on("delivery-report", (error, report) => producer.#onReport(error, report.topic, report.opaque));
    client.on("event.error", throttledClientErrorLog(options.logger, "producer"));
    if (options.statisticsIntervalMs !== undefined) {
      client.on("event.stats", (stats: { message: string }) => producer.#onStats(stats.message));
    }
    await connectClient(client, options.identity.bootstrapServers, options.connectTimeoutMs);
    // Failure reports are served by a background thread as soon as they arrive, not on a JS timer.
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

  /** Sets the callback called once for every message that failed (the range producer counts and logs them). */
  onFailure(callback: FailureCallback): void {
    this.#onFailure = callback;
  }

  /** Messages queued so far: note it before queuing some, and pass it to `acknowledgement(from)` after. */
  get position(): number {
    return this.#ledger.queued;
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
   * Queues one message. Returns false, and queues nothing, when librdkafka's queue is full: wait with
   * `waitForRoom()` and try again. The message's bytes are copied before it returns: its buffers may be reused.
   */
  tryProduce(message: OutgoingMessage, group?: ReportGroup): boolean {
    try {
      this.#client.produce(
        message.topic,
        null,
        message.value,
        message.key ?? null,
        // librdkafka stamps the create time itself.
        null,
        // Every-message mode: the group the report counts towards (one object per sendAll, not per message).
        group,
        message.headers,
      );
    } catch (error) {
      if ((error as LibrdKafkaError).code === ErrorCodes.ERR__QUEUE_FULL) return false;
      throw error;
    }
    this.#ledger.queue();
    if (this.#everyMessage) this.#unreported += 1;
    return true;
  }

  /** Resolves once the queue has drained or ROOM_WAIT_MS passed; every waiting sender shares one wait. */
  waitForRoom(): Promise<void> {
    this.#roomWait ??= new Promise<void>((resolve) =>
      this.#client.flush(ROOM_WAIT_MS, () => resolve()),
    ).finally(() => (this.#roomWait = undefined));
    return this.#roomWait;
  }

  /** Queues one message, waiting for room as long as the queue is full. */
  async produce(message: OutgoingMessage): Promise<void> {
    while (!this.tryProduce(message)) await this.waitForRoom();
  }

  /**
   * Resolves once every message queued from position `from` until now is acknowledged; rejects with a
   * DeliveryError if a failure was reported that may be one of them. Many callers share one drain.
   */
  acknowledgement(from: number): Promise<void> {
    return this.#wait(from, this.#ledger.queued, false);
  }

  /** Queues one message (waiting for room) and resolves once the cluster acknowledged it. */
  async send(message: OutgoingMessage): Promise<void> {
    if (this.#everyMessage) return this.#sendGroup([message]);
    const from = this.position;
    await this.produce(message);
    await this.acknowledgement(from);
  }

  /**
   * Queues all `messages` (waiting for room) and resolves once the cluster acknowledged all of them. With
   * failure-only reports that takes a drain: librdkafka's whole queue empty, which a producer that keeps sending
   * rarely sees; with a report for every message, the group resolves on its own last report.
   */
  async sendAll(messages: Iterable<OutgoingMessage>): Promise<void> {
    if (this.#everyMessage) return this.#sendGroup([...messages]);
    const from = this.position;
    for (const message of messages) {
      if (!this.tryProduce(message)) await this.produce(message);
    }
    await this.acknowledgement(from);
  }

  #sendGroup(messages: readonly OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const group: ReportGroup = {
        remaining: messages.length,
        failure: undefined,
        done: () => (group.failure === undefined ? resolve() : reject(group.failure)),
      };
      void (async () => {
        for (const message of messages) {
          while (!this.tryProduce(message, group)) await this.waitForRoom();
        }
      })().catch(reject);
    });
  }

  /**
   * Waits until every message queued so far is acknowledged or failed, or `timeoutMs` passed, and returns how
   * many are still undecided (0 = all decided; `failed` says how many of them failed).
   */
  async flush(timeoutMs: number): Promise<number> {
    if (this.#everyMessage) return this.#flushReported(timeoutMs);
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
      if (left > 0) {
        this.#logger.warn({
          event: "producer.flush_incomplete",
          undelivered: left,
          timeoutMs: flushTimeoutMs,
        });
      }
      // Whoever still waits would wait for a queue nobody drains any more.
      this.#settleWaiters(new Error("producer closed"));
      await new Promise<void>((resolve) => this.#client.disconnect(0, () => resolve()));
    })();
    return this.#closing;
  }

  /** Every-message mode: waits until every message queued has had its report, or `timeoutMs` passed. */
  async #flushReported(timeoutMs: number): Promise<number> {
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

  #onReport(error: LibrdKafkaError | null | undefined, topic: string, opaque: unknown): void {
    const failure = error ? new DeliveryError(topic, error) : undefined;
    if (failure !== undefined) {
      this.#ledger.fail();
      this.#onFailure(failure);
    }
    if (!this.#everyMessage) return;
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
    for (const topic of Object.values(stats.topics ?? {})) {
      for (const [partition, partitionStats] of Object.entries(topic.partitions ?? {})) {
        if (partition !== "-1") acknowledged += partitionStats.acked_msgid ?? 0;
      }
    }
    this.#reportedAcknowledged = Math.max(this.#reportedAcknowledged, acknowledged);
  }
}
