import type { ClientIdentity } from "./client-config.ts";
import { reliableProducerConfig } from "./client-config.ts";
import { logClientEvents } from "./client-log.ts";
import { connectClient, tokenRefreshOf } from "./connect.ts";
import type { KafkaLogger } from "./instruments.ts";
import {
  ErrorCodes,
  Producer,
  type LibrdKafkaError,
  type MessageHeader,
  type ProducerClient,
} from "./rdkafka.ts";
import { ROOM_WAIT_MS } from "./tunables.ts";

// What both producers share: the reliable client, connected; queuing one message; waiting for room; closing.
// They differ in how they learn that the cluster acknowledged a message (DeliveryProducer, ReportingProducer).

export interface OutgoingMessage {
  readonly topic: string;
  /** null: no value (a tombstone to compaction; a dead letter whose value was omitted). */
  readonly value: Buffer | null;
  readonly key?: Buffer | null;
  readonly headers?: MessageHeader[];
  /** The partition; librdkafka's partitioner picks one when it is left out. */
  readonly partition?: number;
}

export interface ProducerOptions {
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
}

type Settings = Record<string, string | number | boolean>;

/**
 * The idempotent, acks=all client (reliableProducerConfig) with a producer's own `settings`, connected. Its
 * delivery reports (and statistics) are served by a background thread as soon as they arrive, not on a JS timer:
 * whoever uses it listens for them before producing.
 */
export async function connectProducer(options: ProducerOptions, settings: Settings): Promise<ProducerClient> {
  const client = new Producer({
    ...reliableProducerConfig(options.identity, options.purpose, options.lingerMs),
    ...settings,
    ...options.config,
  });
  logClientEvents(client, options.logger, "producer");
  await connectClient(
    client,
    options.identity.bootstrapServers,
    options.connectTimeoutMs,
    tokenRefreshOf(options.identity, options.purpose),
  );
  client.setPollInBackground(true);
  return client;
}

/**
 * Queues one message. Returns false, and queues nothing, when librdkafka's queue is full. The message's bytes
 * are copied before it returns: its buffers may be reused. `opaque` comes back with the message's report.
 */
export function queueMessage(client: ProducerClient, message: OutgoingMessage, opaque?: unknown): boolean {
  try {
    // librdkafka picks the partition unless the message names one (null), and stamps the create time (null).
    client.produce(
      message.topic,
      message.partition ?? null,
      message.value,
      message.key ?? null,
      null,
      opaque,
      message.headers,
    );
  } catch (error) {
    if ((error as LibrdKafkaError).code === ErrorCodes.ERR__QUEUE_FULL) return false;
    throw error;
  }
  return true;
}

/** A run of values for one partition: `count` values of `valueSize` bytes each, one after another in `values`. */
export interface OutgoingRun {
  readonly topic: string;
  readonly partition: number;
  readonly values: Buffer;
  readonly valueSize: number;
  readonly count: number;
}

/** produceRun(), which deploy/binding's produce-run patch adds to the client (not in its type definitions). */
interface RunProducingClient {
  produceRun(topic: string, partition: number, values: Buffer, valueSize: number, count: number): number;
}

/**
 * Queues a run of messages without key or headers in one call into the client (one crossing for the run, not one
 * per message): the same messages, in the same order, as that many queueMessage() calls. Returns how many were
 * queued: fewer than `count` when librdkafka's queue filled up (the rest are not queued, in order to keep the
 * order). The values' bytes are copied before it returns.
 */
export function queueRun(client: ProducerClient, run: OutgoingRun): number {
  const runProducing = client as unknown as Partial<RunProducingClient>;
  // A binding built without the patch (not this repository's setup): the same messages, one call each.
  if (typeof runProducing.produceRun !== "function") return queueOneByOne(client, run);
  try {
    return (runProducing as RunProducingClient).produceRun(
      run.topic,
      run.partition,
      run.values,
      run.valueSize,
      run.count,
    );
  } catch (error) {
    if ((error as LibrdKafkaError).code === ErrorCodes.ERR__QUEUE_FULL) return 0;
    throw error;
  }
}

function queueOneByOne(client: ProducerClient, run: OutgoingRun): number {
  const { topic, partition, values, valueSize, count } = run;
  for (let i = 0; i < count; i += 1) {
    const value = values.subarray(i * valueSize, (i + 1) * valueSize);
    if (!queueMessage(client, { topic, partition, value })) return i;
  }
  return count;
}

/**
 * Waits for room in a full queue inside librdkafka's flush (a condition wait on a worker thread, not on the event
 * loop), for ROOM_WAIT_MS at most: with reports for failures only, no per-message event could say "room again"
 * sooner. Every waiting sender shares one wait.
 */
export class RoomWait {
  readonly #client: ProducerClient;
  #wait: Promise<void> | undefined;

  constructor(client: ProducerClient) {
    this.#client = client;
  }

  wait(): Promise<void> {
    this.#wait ??= new Promise<void>((resolve) => this.#client.flush(ROOM_WAIT_MS, () => resolve())).finally(
      () => (this.#wait = undefined),
    );
    return this.#wait;
  }
}

/** Logs what a close could not deliver within its flush timeout, then disconnects. */
export async function disconnectProducer(
  client: ProducerClient,
  logger: KafkaLogger,
  undelivered: number,
  flushTimeoutMs: number,
): Promise<void> {
  if (undelivered > 0) {
    logger.warn({ event: "producer.flush_incomplete", undelivered, timeoutMs: flushTimeoutMs });
  }
  await new Promise<void>((resolve) => client.disconnect(0, () => resolve()));
}
