import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

import { REPO_ROOT, startService } from "../lib/clients.ts";
import type { Scratch, TopicCounter } from "../lib/kafka.ts";
import { BOOTSTRAP, readTimestamps } from "../lib/kafka.ts";
import { jsonLine, startMeasured, type Measured } from "../lib/process.ts";
import type { Reporter } from "../lib/reporter.ts";
import { histogramQuantileBound, percentiles, type Percentiles } from "../lib/stats.ts";

export interface LatencyResult {
  readonly client:
    "single-consumer" | "batch-consumer" | "java-EndToEndLatency" | "ckjs-relay" | "java-paced";
  /** Messages per second offered by the producer; 0 for the Java tool (one message at a time, ping-pong). */
  readonly rate: number;
  /** The single consumer's ORDERING for this run. */
  readonly ordering?: "key" | "unordered";
  readonly messages: number;
  /** Milliseconds, over the values after the warm-up. */
  readonly latencyMs: Percentiles;
  /** Values produced but without a result when the run ended (a consumer that cannot keep up). */
  readonly missing: number;
  /** From the service's own histogram: the bucket bound (s) holding p99, as a cross-check. */
  readonly histogramP99BoundSeconds?: number;
  readonly error?: string;
  /** Which round this run was (1-based), when the run was repeated. */
  readonly round?: number;
  /** On a reported (median) run: p99 (ms) of every round, in round order. */
  readonly roundsP99Ms?: readonly number[];
}

/**
 * Values sent in the first seconds are warm-up, left out of the percentiles: both services have just started
 * (tsx compiles them, V8 has not optimised the hot path yet, the producer's first batches find new
 * connections), and on two shared cores that start-up alone put stalls of a few hundred ms into the first five
 * seconds of a run. A fixed share of a short run would leave part of it in.
 */
const WARMUP_SECONDS = 5;
const WARMUP_MIN_SHARE = 0.1;

/**
 * End-to-end latency of a consumer service at a fixed offered rate. The producer service (paced by
 * PRODUCE_RATE) stamps each record with CreateTime when it sends it; the consumer, with RESULTS_TOPIC set,
 * publishes one result per value once it has processed it, stamped with CreateTime at that moment. Latency per
 * value = result timestamp − input timestamp (both ms, same machine clock). This is exact per message, unlike
 * the service's histogram, whose buckets are too coarse for a p99 ratio; the histogram is kept as a check.
 */
export async function measureServiceLatency(
  role: "single-consumer" | "batch-consumer",
  rate: number,
  seconds: number,
  scratch: Scratch,
  counter: TopicCounter,
  reporter: Reporter,
  ordering?: "key" | "unordered",
): Promise<LatencyResult> {
  const result = await measureRelayedLatency(
    role,
    (input, results, group) => {
      // Default settings: BATCH_SIZE 10 / BATCH_MAX_WAIT_MS 1000, MAX_IN_FLIGHT 1000.
      const consumer = startService(role, {
        KAFKA_TOPIC: input,
        RESULTS_TOPIC: results,
        CONSUMER_GROUP: group,
        ...(ordering === undefined ? {} : { ORDERING: ordering }),
      });
      const ready = (async () => {
        const port = await consumer.waitForLine((line) => {
          const event = jsonLine(line);
          return event?.event === "service.started" ? Number(event.metricsPort) : undefined;
        }, 60_000);
        await consumer.waitForLine((line) => {
          const event = jsonLine(line);
          return event?.event === "rebalance.assigned" && Number(event.owned) === 6 ? true : undefined;
        }, 60_000);
        return port;
      })();
      return { consumer, ready };
    },
    { rate, seconds, scratch, counter, reporter },
  );
  return { ...result, ...(ordering === undefined ? {} : { ordering }) };
}

/**
 * The same measurement with the single consumer's work done by the client binding alone (bench/clients/
 * ckjs-relay.ts): what the client and the cluster allow at this rate at this moment, the peer that tells the
 * service's own share of the single consumer's latency.
 */
export function measureClientRelayLatency(
  rate: number,
  seconds: number,
  scratch: Scratch,
  counter: TopicCounter,
  reporter: Reporter,
): Promise<LatencyResult> {
  return measureRelayedLatency(
    "ckjs-relay",
    (input, results, group) => {
      const consumer = startMeasured("ckjs-relay", process.execPath, [
        "--import",
        "tsx",
        `${REPO_ROOT}bench/clients/ckjs-relay.ts`,
        ...["--brokers", BOOTSTRAP.join(","), "--topic", input, "--results", results, "--group", group],
      ]);
      const ready = consumer
        .waitForLine((line) => (jsonLine(line)?.event === "ready" ? true : undefined), 60_000)
        .then(() => undefined);
      return { consumer, ready };
    },
    { rate, seconds, scratch, counter, reporter },
  );
}

/**
 * The producer service writes `rate` values a second for `seconds` to a fresh topic; `start` launches what reads
 * them and publishes one result per value. Resolves its `ready` once it owns every partition (with its metrics
 * port, if it has one).
 */
async function measureRelayedLatency(
  client: "single-consumer" | "batch-consumer" | "ckjs-relay",
  start: (
    input: string,
    results: string,
    group: string,
  ) => { consumer: Measured; ready: Promise<number | undefined> },
  {
    rate,
    seconds,
    scratch,
    counter,
    reporter,
  }: {
    rate: number;
    seconds: number;
    scratch: Scratch;
    counter: TopicCounter;
    reporter: Reporter;
  },
): Promise<LatencyResult> {
  const messages = rate * seconds;
  const input = await scratch.topic(`lat-${client}-${rate}`);
  await scratch.dlqFor(input);
  const results = await scratch.topic(`lat-${client}-${rate}-results`);
  const { consumer, ready } = start(input, results, scratch.group(client));
  let error: string | undefined;
  let histogramP99BoundSeconds: number | undefined;
  try {
    const port = await ready;
    const producer = startService("producer", {
      KAFKA_TOPIC: input,
      PRODUCE_FROM: "0",
      PRODUCE_TO: String(messages),
      PRODUCE_RATE: String(rate),
      PROGRESS_INTERVAL_MS: "3600000",
    });
    // A consumer that cannot keep up gets a bounded grace period; what it has not done by then counts as missing.
    const deadline = Date.now() + seconds * 1000 + Math.min(60_000, seconds * 3_000);
    let processed = 0;
    while (Date.now() < deadline) {
      processed = await counter.count(results);
      reporter.progress(`${client} at ${rate} msg/s`, processed, messages);
      if (processed >= messages) break;
      await sleep(500);
    }
    const code = await producer.exited;
    if (code !== 0) error = `producer exited ${code}: ${producer.stderrTail()}`;
    if (port !== undefined) {
      const page = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      histogramP99BoundSeconds = histogramQuantileBound(page, "kafka_fleet_end_to_end_latency_seconds", 0.99);
    }
  } catch (failure) {
    error = String(failure);
  } finally {
    await consumer.stop();
  }
  const [sent, processed] = await Promise.all([
    readTimestamps(input, messages),
    readTimestamps(results, messages),
  ]);
  const latencyByValue = new Map<bigint, number>();
  for (const [value, sentAt] of sent) {
    const doneAt = processed.get(value);
    if (doneAt !== undefined) latencyByValue.set(value, doneAt - sentAt);
  }
  return {
    client,
    rate,
    messages,
    ...afterWarmup(latencyByValue, rate, messages),
    ...(histogramP99BoundSeconds === undefined ? {} : { histogramP99BoundSeconds }),
    ...(error === undefined ? {} : { error }),
  };
}

/**
 * Percentiles over the values sent after the warm-up, and how many of the `messages` values have no latency
 * (never sent, or never processed).
 */
function afterWarmup(
  latencyByValue: ReadonlyMap<bigint, number>,
  rate: number,
  messages: number,
): Pick<LatencyResult, "latencyMs" | "missing"> {
  // A run shorter than twice the warm-up (the smoke run) keeps its second half.
  const warmup = BigInt(
    Math.floor(Math.min(messages / 2, Math.max(rate * WARMUP_SECONDS, messages * WARMUP_MIN_SHARE))),
  );
  const latencies: number[] = [];
  for (const [value, ms] of latencyByValue) if (value >= warmup) latencies.push(ms);
  return { latencyMs: percentiles(latencies), missing: messages - latencyByValue.size };
}

/**
 * Kafka's own Java client sending and receiving a paced stream at `rate` (bench/clients/JavaPacedLatency.java):
 * what the cluster and Kafka's reference client allow for the traffic the single consumer sees, with the same
 * 20 ms linger as the paced producer service. Latency per value = the time its consumer's poll() returned it − its
 * CreateTime; warm-up and percentiles as for the services.
 */
export async function measureJavaPacedLatency(
  rate: number,
  seconds: number,
  scratch: Scratch,
): Promise<LatencyResult> {
  const messages = rate * seconds;
  const topic = await scratch.topic(`lat-java-paced-${rate}`);
  const dir = await mkdtemp(join(tmpdir(), "kafka-fleet-bench-"));
  const out = join(dir, "latencies.csv");
  try {
    const client = startMeasured("java-paced", "java", [
      "-Xmx512M",
      "-cp",
      `${REPO_ROOT}.run/kafka-jars/*`,
      `${REPO_ROOT}bench/clients/JavaPacedLatency.java`,
      ...["--bootstrap-server", BOOTSTRAP.join(","), "--topic", topic],
      ...["--rate", String(rate), "--seconds", String(seconds), "--linger-ms", "20", "--out", out],
    ]);
    const code = await client.exited;
    const latencyByValue = new Map<bigint, number>();
    if (code === 0) {
      for (const line of (await readFile(out, "utf8")).split("\n")) {
        const [value, ms] = line.split(",");
        if (value && ms) latencyByValue.set(BigInt(value), Number(ms));
      }
    }
    return {
      client: "java-paced",
      rate,
      messages,
      ...afterWarmup(latencyByValue, rate, messages),
      ...(code === 0 ? {} : { error: `exit ${code}: ${client.stderrTail()}` }),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Kafka's own EndToEndLatency: it sends one record (acks as given), waits until its consumer has it, and only
 * then sends the next, so its rate is set by the latency itself. Its percentiles are the reference.
 */
export async function measureJavaLatency(messages: number, scratch: Scratch): Promise<LatencyResult> {
  const topic = await scratch.topic("lat-java");
  const tool = startMeasured("EndToEndLatency", "java", [
    "-Xmx512M",
    "-cp",
    `${REPO_ROOT}.run/kafka-jars/*`,
    "org.apache.kafka.tools.EndToEndLatency",
    ...["--bootstrap-server", BOOTSTRAP.join(","), "--topic", topic],
    ...["--num-records", String(messages), "--producer-acks", "all", "--record-size", "8"],
  ]);
  let avg = Number.NaN;
  let figures: number[] = [];
  tool.onLine((line) => {
    const average = /Avg latency: ([\d.]+) ms/.exec(line);
    if (average) avg = Number(average[1]);
    const match = /50th = ([\d.]+), 99th = ([\d.]+), 99\.9th = ([\d.]+)/.exec(line);
    if (match) figures = [Number(match[1]), Number(match[2]), Number(match[3])];
  });
  const code = await tool.exited;
  const [p50 = Number.NaN, p99 = Number.NaN, p999 = Number.NaN] = figures;
  return {
    client: "java-EndToEndLatency",
    rate: 0,
    messages,
    latencyMs: { count: messages, p50, p99, p999, max: Number.NaN },
    missing: 0,
    ...(code === 0 && figures.length === 3
      ? {}
      : { error: `exit ${code}, avg ${avg}: ${tool.stderrTail()}` }),
  };
}
