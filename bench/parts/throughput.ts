import { setTimeout as sleep } from "node:timers/promises";

import {
  commitCadence,
  THROUGHPUT_BATCH,
  startConsumer,
  startProducer,
  startService,
  type ClientId,
  type Progress,
} from "../lib/clients.ts";
import type { Scratch, TopicCounter } from "../lib/kafka.ts";
import { jsonLine, type Measured } from "../lib/process.ts";
import type { Reporter } from "../lib/reporter.ts";

export interface ThroughputResult {
  readonly role: "producer" | "consumer";
  readonly client: ClientId;
  readonly valueBytes: number;
  readonly messages: number;
  /** Messages inside the measured window (startup and the first 5 % are outside it). */
  readonly windowMessages: number;
  readonly windowSeconds: number;
  readonly messagesPerSecond: number;
  /** Value bytes only: what the application asked to move. */
  readonly megabytesPerSecond: number;
  /** Client CPU (user + system) inside the window, per million messages. */
  readonly cpuSecondsPerMillion: number;
  /** Client CPU of the whole process, start-up included. */
  readonly processCpuSeconds: number;
  readonly peakRssMiB: number;
  readonly exitCode: number | null;
  readonly error?: string;
  /** Which round this run was (1-based). */
  readonly round?: number;
  /** On a reported (median) run: msg/s of every round of this client, in round order. */
  readonly roundsMessagesPerSecond?: readonly number[];
  /** A consumer's commit cadence as measured (its settings change between runs; the report states the run's). */
  readonly commits?: string;
}

const POLL_MS = 200;
/**
 * A producer's progress is read this often: the fastest write 3M records in about 2 s here, and the first read
 * that sees the last record closes the window, so at 200 ms that read alone moved a round's rate by up to a tenth.
 */
const PRODUCER_POLL_MS = 50;
/** The window opens once this share of the messages is in: start-up, connection and warm-up stay outside. */
const WARMUP_SHARE = 0.05;

function summarise(
  base: Pick<ThroughputResult, "role" | "client" | "valueBytes" | "messages">,
  measured: Measured,
  start: Progress | undefined,
  end: Progress | undefined,
  exitCode: number | null,
  error?: string,
): ThroughputResult {
  const windowMessages = start && end ? end.count - start.count : 0;
  const windowSeconds = start && end ? (end.at - start.at) / 1000 : 0;
  const rate = windowSeconds > 0 ? windowMessages / windowSeconds : 0;
  const cpu = start && end ? end.cpuSeconds - start.cpuSeconds : 0;
  return {
    ...base,
    windowMessages,
    windowSeconds,
    messagesPerSecond: Math.round(rate),
    megabytesPerSecond: (rate * base.valueBytes) / 1e6,
    cpuSecondsPerMillion: windowMessages > 0 ? (cpu * 1e6) / windowMessages : 0,
    processCpuSeconds: measured.samples.at(-1)?.cpuSeconds ?? 0,
    peakRssMiB: Math.max(0, ...measured.samples.map((sample) => sample.peakRssBytes)) / 2 ** 20,
    exitCode,
    ...(error === undefined ? {} : { error }),
  };
}

/**
 * One producer run into a fresh topic. Progress is the topic's high watermark, read from outside every 50 ms
 * with a /proc sample of the client at the same instant, so every client is timed by the same clock and
 * counted by the same rule (acknowledged by all in-sync replicas).
 */
export async function measureProducer(
  client: ClientId,
  topic: string,
  count: number,
  size: number,
  counter: TopicCounter,
  reporter: Reporter,
): Promise<ThroughputResult> {
  const base = { role: "producer" as const, client, valueBytes: size, messages: count };
  const measured = startProducer(client, { topic, count, size, group: "" });
  let exited = false;
  void measured.exited.then(() => (exited = true));
  let start: Progress | undefined;
  let end: Progress | undefined;
  let error: string | undefined;
  const deadline = Date.now() + Math.max(120_000, count / 5); // 5k msg/s would be a broken client
  while (end === undefined) {
    const sample = measured.mark();
    const written = await counter.count(topic);
    const progress = { count: written, at: sample.at, cpuSeconds: sample.cpuSeconds };
    if (start === undefined && written >= count * WARMUP_SHARE) start = progress;
    if (written >= count) end = progress;
    reporter.progress(`${client} producing ${size} B`, written, count);
    if (end !== undefined) break;
    if (exited && (await counter.count(topic)) < count) {
      error = `exited with ${written} of ${count} written: ${measured.stderrTail()}`;
      break;
    }
    if (Date.now() > deadline) {
      error = `timed out with ${written} of ${count} written`;
      break;
    }
    await sleep(PRODUCER_POLL_MS);
  }
  const exitCode = error === undefined ? await measured.exited : await measured.stop("SIGKILL");
  // A run so short that one poll saw it all (smoke runs) is timed from the process start instead.
  if (start !== undefined && end !== undefined && start.at === end.at) {
    const first = measured.samples[0];
    if (first) start = { count: 0, at: first.at, cpuSeconds: first.cpuSeconds };
  }
  return summarise(base, measured, start, end, exitCode, error);
}

/**
 * One consumer run: reads `count` records of `topic` from the beginning in a group of its own. The window runs
 * from its first batch to its last, as it reports them (the rebalance that precedes the first fetch is out,
 * as in ConsumerPerformance's fetch.nMsg.sec).
 */
export async function measureConsumer(
  client: ClientId,
  topic: string,
  count: number,
  size: number,
  scratch: Scratch,
  reporter: Reporter,
): Promise<ThroughputResult> {
  const base = {
    role: "consumer" as const,
    client,
    valueBytes: size,
    messages: count,
    commits: commitCadence(client),
  };
  // The services refuse to start without their dead-letter topic; it stays empty here.
  if (client.startsWith("kafka-fleet")) await scratch.dlqFor(topic);
  const resultsTopic = client === "kafka-fleet-b10" ? await scratch.topic("results-b10") : undefined;
  let start: Progress | undefined;
  const done = Promise.withResolvers<Progress>();
  const measured = startConsumer(
    client,
    { topic, count, size, group: scratch.group(client), ...(resultsTopic ? { resultsTopic } : {}) },
    (kind, progress) => {
      if (kind === "first") start = progress;
      else done.resolve(progress);
    },
  );
  const ticker = setInterval(
    () => reporter.progress(`${client} consuming ${size} B`, undefined, count),
    1000,
  );
  let error: string | undefined;
  let end: Progress | undefined;
  const timeout = new AbortController();
  try {
    end = await Promise.race([
      done.promise,
      measured.exited.then((code) => {
        throw new Error(`exited (${code}) before the end: ${measured.stderrTail()}`);
      }),
      // Cancelled below: a pending timer would keep the harness alive after its last run.
      sleep(Math.max(120_000, count / 5), undefined, { signal: timeout.signal }).then(() => {
        throw new Error("timed out");
      }),
    ]);
  } catch (failure) {
    // The Java tool may report its last interval only on exit: give `done` that chance.
    end = await Promise.race([done.promise, sleep(500).then(() => undefined)]);
    if (end === undefined) error = String(failure);
  } finally {
    clearInterval(ticker);
    timeout.abort();
  }
  const exitCode = await measured.stop();
  // A client that reports its first and its last record in one line (a short smoke run, or rdkafka_performance's
  // 250 ms rows) is timed from its process start instead, as a short producer run is.
  if (start !== undefined && end !== undefined && start.at === end.at) {
    const first = measured.samples[0];
    if (first) start = { count: 0, at: first.at, cpuSeconds: first.cpuSeconds };
  }
  return summarise(base, measured, start, end, exitCode, error);
}

/**
 * Brokers that just started run their first million records through an unwarmed JVM: whichever client goes
 * first would pay for it. One untimed round trip of the Java tools warms them before anything is measured.
 */
export async function warmUpCluster(
  count: number,
  scratch: Scratch,
  counter: TopicCounter,
  reporter: Reporter,
): Promise<void> {
  reporter.step(`warming the cluster up: ${count} × 100 B through the Java tools, untimed`);
  const topic = await scratch.topic("warm-up");
  await measureProducer("java", topic, count, 100, counter, reporter);
  await measureConsumer("java", topic, count, 100, scratch, reporter);
}

export interface ScaleOutResult {
  readonly processes: number;
  readonly messages: number;
  readonly messagesPerSecond: number;
  readonly error?: string;
  readonly round?: number;
  readonly roundsMessagesPerSecond?: readonly number[];
}

/**
 * Total throughput of `processes` batch consumers in one group. The group is formed on an empty topic first
 * (each process owning some of the 6 partitions, so no rebalance falls inside the window), then Java's producer
 * writes `count` records; the window runs from the group's first commit to the one that completes the count.
 */
export async function measureScaleOut(
  processes: number,
  count: number,
  scratch: Scratch,
  counter: TopicCounter,
  reporter: Reporter,
): Promise<ScaleOutResult> {
  const topic = await scratch.topic(`scale-${processes}`);
  await scratch.dlqFor(topic);
  const group = scratch.group(`scale-${processes}`);
  const owned = new Array<number>(processes).fill(0);
  let total = 0;
  let first: { at: number; size: number } | undefined;
  const done = Promise.withResolvers<number>();
  const members = Array.from({ length: processes }, (_, index) => {
    const member = startService(
      "batch-consumer",
      { KAFKA_TOPIC: topic, CONSUMER_GROUP: group, BATCH_SIZE: String(THROUGHPUT_BATCH) },
      `batch-consumer-${index + 1}`,
    );
    member.onLine((line, at) => {
      const event = jsonLine(line);
      if (event?.event === "rebalance.assigned" || event?.event === "rebalance.revoked") {
        owned[index] = Number(event.owned);
      } else if (event?.event === "batch.committed") {
        const size = Number(event.size);
        first ??= { at, size };
        total += size;
        if (total >= count) done.resolve(at);
      }
    });
    return member;
  });
  let error: string | undefined;
  let messagesPerSecond = 0;
  try {
    const formed = Date.now() + 90_000;
    while (!(owned.every((n) => n > 0) && owned.reduce((a, b) => a + b, 0) === 6)) {
      if (Date.now() > formed) throw new Error(`group not formed: owned ${owned.join("/")}`);
      await sleep(POLL_MS);
    }
    reporter.step(
      `  group of ${processes} formed (${owned.join("/")} partitions); producing ${count} records`,
    );
    const producer = await measureProducer("java", topic, count, 8, counter, reporter);
    if (producer.error) throw new Error(`producer: ${producer.error}`);
    const timeout = new AbortController();
    const end = await Promise.race([
      done.promise,
      sleep(Math.max(120_000, count / 5), undefined, { signal: timeout.signal }).then(() => {
        throw new Error(`timed out with ${total} of ${count} committed`);
      }),
    ]);
    timeout.abort();
    const start = first as { at: number; size: number };
    messagesPerSecond = Math.round(((total - start.size) * 1000) / Math.max(1, end - start.at));
  } catch (failure) {
    error = String(failure);
  } finally {
    await Promise.all(members.map((member) => member.stop()));
  }
  return { processes, messages: count, messagesPerSecond, ...(error === undefined ? {} : { error }) };
}
