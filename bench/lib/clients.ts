import { fileURLToPath } from "node:url";

import { FETCH_QUEUE_BACKOFF_MS } from "@kafka-fleet/kafka/tunables";
import { DEFAULT_MAX_UNCOMMITTED as DEFAULT_UNCOMMITTED } from "@kafka-fleet/worker";

import { BOOTSTRAP } from "./kafka.ts";
import { jsonLine, startMeasured, type Measured } from "./process.ts";

export const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));
const JARS = `${REPO_ROOT}.run/kafka-jars/*`;
export const PYTHON = `${REPO_ROOT}.run/bench-venv/bin/python`;
/** The heap Kafka's own kafka-*-perf-test.sh scripts give these tools. */
const JAVA_HEAP = "-Xmx512M";

/** Batch size for throughput runs of every batch consumer (kafka-fleet's BATCH_SIZE, Python's num_messages). */
export let THROUGHPUT_BATCH = 500;

/** `--batch-size`: to see how much of the consumers' cost is the commit per batch. */
export function setThroughputBatch(size: number): void {
  THROUGHPUT_BATCH = size;
}

export type ClientId =
  | "kafka-fleet"
  | "kafka-fleet-b10"
  | "java"
  | "rdkafka-performance"
  | "kafkajs"
  | "platformatic"
  | "ckjs-bare"
  | "python";
export const CLIENT_LABELS: Record<ClientId, string> = {
  "kafka-fleet": "kafka-fleet",
  "kafka-fleet-b10": "kafka-fleet, defaults (BATCH_SIZE 10)",
  java: "Java perf tool",
  "rdkafka-performance": "rdkafka_performance (C)",
  kafkajs: "KafkaJS 2.2.4",
  platformatic: "@platformatic/kafka",
  "ckjs-bare": "ckjs callback API, plain loop",
  python: "Python confluent-kafka (seed)",
};

/** A row's label; a results.json of an earlier run may hold clients the bench no longer runs: their ids. */
export function clientLabel(client: string): string {
  return (CLIENT_LABELS as Record<string, string | undefined>)[client] ?? client;
}

/** Where bench/rdkafka-performance.sh writes librdkafka's perf tool (bench/setup.sh builds it when missing). */
export const RDKAFKA_PERFORMANCE = `${REPO_ROOT}.run/rdkafka_performance`;

/**
 * Producers that are context only and slow (30-40 s a million on the 2-core machine) send at most this many
 * records: still 5 s and more of window each, a third of a throughput round's time saved.
 */
export const PRODUCER_CAP: Partial<Record<ClientId, number>> = { kafkajs: 200_000, platformatic: 200_000 };

/** How often each consumer commits its offsets, as the throughput table states it. */
export function commitCadence(client: ClientId): string {
  switch (client) {
    case "kafka-fleet":
      return `per batch of ${THROUGHPUT_BATCH}, off the event loop, ≤ ${DEFAULT_UNCOMMITTED} uncommitted`;
    case "kafka-fleet-b10":
      return `per batch of 10, ≤ ${DEFAULT_UNCOMMITTED} uncommitted`;
    case "java":
      return "auto, every 5 s";
    case "kafkajs":
      return "auto, after each batch";
    case "rdkafka-performance":
      return "auto (librdkafka), every 5 s";
    case "platformatic":
      return "auto, after each fetch";
    case "ckjs-bare":
      return "never";
    case "python":
      return `synchronous, per batch of ${THROUGHPUT_BATCH}`;
  }
}

/** A point where the client says how far it is: the harness samples /proc at that instant. */
export interface Progress {
  readonly count: number;
  readonly at: number;
  readonly cpuSeconds: number;
}

export interface RunSpec {
  readonly topic: string;
  readonly count: number;
  readonly size: number;
  readonly group: string;
  /** Where a consumer publishes results, for the rows that do. */
  readonly resultsTopic?: string;
}

/** Runs a service the way its `start` script and the tests do: node --import tsx src/main.ts, env only. */
export function startService(
  role: "producer" | "batch-consumer" | "single-consumer",
  env: Record<string, string>,
  name: string = role,
): Measured {
  return startMeasured(
    name,
    process.execPath,
    ["--import", "tsx", `${REPO_ROOT}services/${role}/src/main.ts`],
    {
      KAFKA_BOOTSTRAP_SERVERS: BOOTSTRAP.join(","),
      METRICS_PORT: "0",
      LOG_LEVEL: "info",
      SHUTDOWN_GRACE_MS: "20000",
      ...env,
    },
  );
}

export function startProducer(client: ClientId, spec: RunSpec): Measured {
  const brokers = BOOTSTRAP.join(",");
  switch (client) {
    case "kafka-fleet":
    case "kafka-fleet-b10":
      return startService("producer", {
        KAFKA_TOPIC: spec.topic,
        PRODUCE_FROM: "0",
        PRODUCE_TO: String(spec.count),
        PROGRESS_INTERVAL_MS: "3600000",
      });
    case "java":
      return startMeasured("ProducerPerformance", "java", [
        JAVA_HEAP,
        "-cp",
        JARS,
        "org.apache.kafka.tools.ProducerPerformance",
        "--topic",
        spec.topic,
        "--num-records",
        String(spec.count),
        "--record-size",
        String(spec.size),
        "--throughput",
        "-1",
        "--producer-props",
        `bootstrap.servers=${brokers}`,
        "acks=all",
      ]);
    case "rdkafka-performance":
      // As the producer service configures librdkafka (libs/kafka: reliableProducerConfig, unpaced): idempotent,
      // acks=all, linger.ms 5 (the tool's own default is 1000); keyless values spread by librdkafka's partitioner.
      return startMeasured("rdkafka_performance", RDKAFKA_PERFORMANCE, [
        ...["-P", "-t", spec.topic, "-b", brokers, "-c", String(spec.count), "-s", String(spec.size)],
        ...["-a", "-1", "-X", "enable.idempotence=true", "-X", "linger.ms=5", "-q"],
      ]);
    case "kafkajs":
      return startTsPeer("kafkajs", "kafkajs-style.ts", peerFlags("produce", spec));
    case "platformatic":
      return startTsPeer("platformatic", "platformatic.ts", peerFlags("produce", spec));
    case "ckjs-bare":
      throw new Error("ckjs-bare only consumes");
    case "python":
      return startPython("produce", spec);
  }
}

/**
 * Starts a consumer that reads `spec.count` records from the beginning of `spec.topic` in its own group, and
 * calls `onProgress` on its first batch and when it has seen them all (then it is stopped with SIGTERM).
 */
export function startConsumer(
  client: ClientId,
  spec: RunSpec,
  onProgress: (kind: "first" | "done", progress: Progress) => void,
): Measured {
  let measured: Measured;
  let seen = 0;
  const report = (kind: "first" | "done", count: number) => {
    const sample = measured.mark();
    onProgress(kind, { count, at: sample.at, cpuSeconds: sample.cpuSeconds });
  };
  switch (client) {
    case "kafka-fleet":
    case "kafka-fleet-b10":
      measured = startService("batch-consumer", {
        KAFKA_TOPIC: spec.topic,
        CONSUMER_GROUP: spec.group,
        BATCH_SIZE: String(client === "kafka-fleet" ? THROUGHPUT_BATCH : 10),
        // The defaults row publishes its results, as a worker would: each batch's acknowledgements and commit.
        ...(client === "kafka-fleet-b10" && spec.resultsTopic !== undefined
          ? { RESULTS_TOPIC: spec.resultsTopic }
          : {}),
      });
      // One batch.committed event per batch: the service's own account of what it processed and committed.
      measured.onLine((line) => {
        const event = jsonLine(line);
        if (event?.event !== "batch.committed") return;
        const size = Number(event.size);
        if (seen === 0) report("first", size);
        seen += size;
        if (seen >= spec.count && seen - size < spec.count) report("done", seen);
      });
      return measured;
    case "java":
      measured = startMeasured("ConsumerPerformance", "java", [
        JAVA_HEAP,
        "-cp",
        JARS,
        "org.apache.kafka.tools.ConsumerPerformance",
        "--bootstrap-server",
        BOOTSTRAP.join(","),
        "--topic",
        spec.topic,
        "--group",
        spec.group,
        "--num-records",
        String(spec.count),
        "--timeout",
        "120000",
        "--show-detailed-stats",
        "--reporting-interval",
        "250",
      ]);
      // Detailed stats: "time, threadId, MB, MB/s, nMsg, nMsg/s, ..." per interval, the count cumulative.
      measured.onLine((line) => {
        const fields = line.split(",").map((field) => field.trim());
        const total = Number(fields[4]);
        if (fields.length < 6 || !Number.isFinite(total) || total <= 0) return;
        if (seen === 0) report("first", total);
        if (total >= spec.count && seen < spec.count) report("done", total);
        seen = total;
      });
      // The last interval line may not reach the total before the tool exits; its exit is then the end.
      void measured.exited.then(() => {
        if (seen > 0 && seen < spec.count) {
          const last = measured.samples.at(-1);
          if (last) onProgress("done", { count: spec.count, at: last.at, cpuSeconds: last.cpuSeconds });
        }
      });
      return measured;
    case "rdkafka-performance":
      measured = startRdkafkaConsumer(spec, report);
      return measured;
    case "kafkajs":
      measured = startTsPeer("kafkajs", "kafkajs-style.ts", peerFlags("consume", spec));
      break;
    case "platformatic":
      measured = startTsPeer("platformatic", "platformatic.ts", peerFlags("consume", spec));
      break;
    case "ckjs-bare":
      measured = startTsPeer("ckjs-bare", "ckjs-bare.ts", peerFlags("consume", spec));
      break;
    case "python":
      measured = startPython("consume", spec);
      break;
  }
  measured.onLine((line) => {
    const event = jsonLine(line);
    if (event?.event === "first" || event?.event === "done") report(event.event, Number(event.count));
  });
  return measured;
}

/**
 * `rdkafka_performance -G`: librdkafka's high-level consumer in C at the tool's defaults (auto-commit every 5 s),
 * in a group of its own from the beginning, as bench/consume-peers.ts runs it; with the fleet's consumers'
 * fetch.queue.backoff.ms (libs/kafka tunables), as -P gets the producer's settings. At librdkafka's 1 s the tool
 * waited a second whenever its queue held its queued.min.messages (1M): on 3M records it ran at ~1.2M msg/s
 * against ~3M on 1M records, which measured the setting, not the library.
 */
export function startRdkafkaConsumer(
  spec: RunSpec,
  report: (kind: "first" | "done", count: number) => void,
  binary: string = RDKAFKA_PERFORMANCE,
): Measured {
  // stdbuf: line-buffered stdout, or its rows come in one block at exit.
  const measured = startMeasured("rdkafka_performance", "stdbuf", [
    ...["-oL", binary],
    ...["-G", spec.group, "-t", spec.topic, "-b", BOOTSTRAP.join(",")],
    ...["-c", String(spec.count), "-X", "auto.offset.reset=earliest", "-u", "-i", "100"],
    ...["-X", `fetch.queue.backoff.ms=${FETCH_QUEUE_BACKOFF_MS}`],
  ]);
  // -u: a table row every 100 ms, "| elapsed | msgs | bytes | ...", msgs cumulative from the first record. At
  // a million records a second a run is over in a second: rows 250 ms apart put up to a quarter of it in doubt.
  let seen = 0;
  measured.onLine((line) => {
    const fields = line.split("|").map((field) => field.trim());
    const msgs = Number(fields[2]);
    if (fields.length < 4 || !Number.isFinite(msgs) || msgs <= 0) return;
    if (seen === 0) report("first", msgs);
    if (msgs >= spec.count && seen < spec.count) report("done", msgs);
    seen = msgs;
  });
  return measured;
}

/** A Node.js peer of bench/clients/, with the flags of bench/clients/peer-protocol.ts. */
function startTsPeer(client: ClientId, file: string, flags: readonly string[]): Measured {
  return startMeasured(client, process.execPath, [
    "--import",
    "tsx",
    `${REPO_ROOT}bench/clients/${file}`,
    ...flags,
  ]);
}

const peerFlags = (mode: string, spec: RunSpec): string[] => [
  ...["--mode", mode, "--brokers", BOOTSTRAP.join(","), "--topic", spec.topic],
  ...["--count", String(spec.count), "--size", String(spec.size), "--group", spec.group],
  ...["--batch", String(THROUGHPUT_BATCH)],
];

function startPython(mode: string, spec: RunSpec): Measured {
  return startMeasured("python", PYTHON, [
    `${REPO_ROOT}bench/clients/seed_python.py`,
    ...peerFlags(mode, spec),
  ]);
}
