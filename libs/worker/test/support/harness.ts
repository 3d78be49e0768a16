import { ROOT_CONTEXT } from "@opentelemetry/api";
import { setTimeout as sleep } from "node:timers/promises";

import type { OutgoingMessage } from "@kafka-fleet/kafka";
import { serializeInt } from "@kafka-fleet/serde";
import { Health, createRegistry, type Logger } from "@kafka-fleet/service";
import {
  int64Values,
  type ConsumerConfig,
  type Deserializer,
  type Handle,
  type WorkerContext,
} from "@kafka-fleet/worker";
import {
  RecordProcessor,
  createBatchMetrics,
  createConsumerMetrics,
  decodeFailureCodes,
  type ConsumedMessage,
  type DeadLetterCause,
  type DeadLetterSink,
  type RevokeHook,
} from "@kafka-fleet/worker/internal";

/** A consumed record of topic "input" whose value is the int64 `value` (or the raw bytes given). */
export function message(
  partition: number,
  offset: number,
  value: bigint | Buffer | null,
  key?: string,
): ConsumedMessage {
  return {
    topic: "input",
    partition,
    offset,
    key: key === undefined ? null : Buffer.from(key),
    value: typeof value === "bigint" ? serializeInt(value) : value,
    timestamp: Date.now(),
  };
}

/** Records pushed in order: values `from`..`to`-1 on one partition, offsets equal to the values. */
export function range(partition: number, from: number, to: number): ConsumedMessage[] {
  const messages: ConsumedMessage[] = [];
  for (let offset = from; offset < to; offset += 1) messages.push(message(partition, offset, BigInt(offset)));
  return messages;
}

/** A logger that keeps each event's fields (the loops log objects: `{ event: "batch.committed", ... }`). */
export function recordingLogger(): { logger: Logger; events: Array<Record<string, unknown>> } {
  const events: Array<Record<string, unknown>> = [];
  const at =
    (level: string) =>
    (fields?: unknown, text?: string): void => {
      if (typeof fields === "object" && fields !== null) events.push({ level, ...fields, text });
    };
  const logger = {
    trace: at("trace"),
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    fatal: at("fatal"),
    child: () => logger,
  };
  return { logger: logger as unknown as Logger, events };
}

export class RecordingDeadLetters implements DeadLetterSink {
  readonly letters: Array<{ message: ConsumedMessage; cause: DeadLetterCause }> = [];

  send(message: ConsumedMessage, cause: DeadLetterCause): Promise<void> {
    this.letters.push({ message, cause });
    return Promise.resolve();
  }

  /** The dead letters' original offsets and codes, e.g. "3:SERDE_WRONG_LENGTH". */
  get summary(): string[] {
    return this.letters.map(({ message, cause }) => `${message.offset}:${cause.code}`);
  }
}

export class RecordingProducer {
  readonly sent: OutgoingMessage[] = [];

  send(message: OutgoingMessage): Promise<void> {
    this.sent.push(message);
    return Promise.resolve();
  }

  sendAll(messages: Iterable<OutgoingMessage>): Promise<void> {
    for (const message of messages) this.sent.push(message);
    return Promise.resolve();
  }
}

/** Everything a loop needs beside its consumer, with fast retries (1, 2, 4 ms backoff). */
export function workerParts<T = bigint>(options: {
  handle: Handle<T>;
  deserialize?: Deserializer<T>;
  retries?: number;
}) {
  const registry = createRegistry("test");
  const reasons = decodeFailureCodes(options.deserialize ?? int64Values);
  const metrics = { ...createConsumerMetrics(registry, reasons), ...createBatchMetrics(registry) };
  const { logger, events } = recordingLogger();
  const stop = new AbortController();
  const deadLetters = new RecordingDeadLetters();
  const producer = new RecordingProducer();
  const context: WorkerContext = {
    signal: stop.signal,
    logger,
    producer,
    config: { resultsTopic: "results" } as ConsumerConfig,
    traceContext: ROOT_CONTEXT,
  };
  const processor = new RecordProcessor<T>({
    handle: options.handle,
    deserialize: options.deserialize ?? (int64Values as unknown as Deserializer<T>),
    context,
    deadLetters,
    retry: { retries: options.retries ?? 2, backoffMs: 1, maxBackoffMs: 4 },
    logger,
  });
  const health = new Health({ stallAfterMs: 30_000 });
  const eventsNamed = (name: string) => events.filter((event) => event.event === name);
  return { metrics, logger, events, eventsNamed, stop, deadLetters, producer, context, processor, health };
}

/**
 * Runs `loop` on `consumer` (whose revocations it answers) until `stop` is called. A failing run is asserted by
 * the tests that expect it; the others would see it as a rejection on stop().
 */
export function started<L extends { readonly onRevoke: RevokeHook; run(): Promise<void> }>(
  loop: L,
  consumer: { onRevoke: RevokeHook },
  stopper: AbortController,
): { loop: L; running: Promise<void>; stop: () => Promise<void> } {
  consumer.onRevoke = loop.onRevoke;
  const running = loop.run();
  running.catch(() => undefined);
  const stop = async () => {
    stopper.abort();
    await running;
  };
  return { loop, running, stop };
}

/** Waits until `condition` holds (checked every few ms); fails after `timeoutMs` saying what was awaited. */
export async function until(what: string, condition: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

/** A promise the test settles by hand. */
export function gate(): { promise: Promise<void>; open: () => void } {
  const { promise, resolve } = Promise.withResolvers<void>();
  return { promise, open: () => resolve() };
}

/** The int64 values of the records a handler got, per call. */
export function valuesOf(records: readonly { value: bigint }[]): number[] {
  return records.map((record) => Number(record.value));
}

/** A counter's value, summed over its label sets. */
export async function counted(counter: {
  get(): Promise<{ values: Array<{ value: number }> }>;
}): Promise<number> {
  const { values } = await counter.get();
  return values.reduce((sum, { value }) => sum + value, 0);
}
