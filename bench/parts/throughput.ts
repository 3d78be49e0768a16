import { setTimeout as sleep } from "node:timers/promises";

import { startConsumer, startProducer, type ClientId, type Progress } from "../lib/clients.ts";
import type { Scratch, TopicCounter } from "../lib/kafka.ts";
import type { Measured } from "../lib/process.ts";
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
}

const POLL_MS = 200;
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
 * One producer run into a fresh topic. Progress is the topic's high watermark, read from outside every 200 ms
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
    await sleep(POLL_MS);
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
  const base = { role: "consumer" as const, client, valueBytes: size, messages: count };
  // The services refuse to start without their dead-letter topic; it stays empty here.
  if (client === "kafka-fleet") await scratch.dlqFor(topic);
  let start: Progress | undefined;
  const done = Promise.withResolvers<Progress>();
  const measured = startConsumer(
    client,
    { topic, count, size, group: scratch.group(client) },
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
