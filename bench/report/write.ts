import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";

import { clientLabel, PRODUCER_CAP, REPO_ROOT, commitCadence } from "../lib/clients.ts";
import type { LatencyResult } from "../parts/latency.ts";
import type { MemoryResult } from "../parts/memory.ts";
import type { ScaleOutResult, ThroughputResult } from "../parts/throughput.ts";
import { memoryChart, throughputChart } from "./chart.ts";
import { writeFormatted } from "./formatted.ts";
import { fmt, type TargetCheck } from "./targets.ts";

export interface BenchResults {
  readonly startedAt: string;
  readonly durationSeconds: number;
  /** Wall-clock seconds of each part (the cluster's warm-up as its own), to see what a run's length is made of. */
  readonly partSeconds?: Readonly<Record<string, number>>;
  readonly machine: Record<string, string | number>;
  readonly config: Record<string, unknown>;
  /** Each client's median round. */
  readonly throughput: readonly ThroughputResult[];
  /** Every round of every client. */
  readonly throughputRuns?: readonly ThroughputResult[];
  /** For repeated latency runs, the median round. */
  readonly latency: readonly LatencyResult[];
  /** Every round of the repeated latency runs. */
  readonly latencyRuns?: readonly LatencyResult[];
  readonly memory: readonly MemoryResult[];
  /** Total msg/s of 1 and of 3 batch-consumer processes in one group. */
  readonly scaleOut?: readonly ScaleOutResult[];
  readonly targets: readonly TargetCheck[];
}

/** Hand-written analysis (profiles, proposed fixes) kept beside the generator and included as is. */
const FINDINGS = join(REPO_ROOT, "bench/report/findings.md");

const table = (header: readonly string[], rows: readonly (readonly string[])[]) =>
  [
    `| ${header.join(" | ")} |`,
    `| ${header.map(() => "---").join(" | ")} |`,
    ...rows.map((row) => `| ${row.join(" | ")} |`),
  ].join("\n");

export function targetsTable(targets: readonly TargetCheck[]): string {
  return table(
    ["target", "kafka-fleet / peer", "bar", "met", "figures"],
    targets.map((t) => [
      t.target,
      t.ratio === undefined ? "–" : `${t.ratio.toFixed(2)}×`,
      t.bar,
      t.met === undefined ? "n/a" : t.met ? "yes" : "**no**",
      t.detail,
    ]),
  );
}

const rounds = (r: ThroughputResult) =>
  (r.roundsMessagesPerSecond ?? [r.messagesPerSecond]).map((rate) => Math.round(rate / 1000)).join(" / ");

function throughputTable(results: readonly ThroughputResult[]): string {
  return table(
    [
      "role",
      "value",
      "client",
      "msg/s (median)",
      "MB/s",
      "CPU-s / 1M msgs",
      "peak RSS MiB",
      "kafka-fleet ÷ this",
      "every round, k msg/s",
      "commits",
    ],
    results.map((r) => {
      const fleet = results.find(
        (f) => f.role === r.role && f.client === "kafka-fleet" && f.valueBytes === 8 && !f.error,
      );
      const ratio =
        fleet && r.valueBytes === 8 && !r.error
          ? `${(fleet.messagesPerSecond / r.messagesPerSecond).toFixed(2)}×`
          : "–";
      return r.error
        ? [
            r.role,
            `${r.valueBytes} B`,
            clientLabel(r.client),
            `failed: ${r.error.slice(0, 120).replace(/[|\n]/g, " ")}`,
            "",
            "",
            "",
            "",
            rounds(r),
            r.role === "consumer" ? (r.commits ?? commitCadence(r.client)) : "–",
          ]
        : [
            r.role,
            `${r.valueBytes} B`,
            clientLabel(r.client),
            fmt(r.messagesPerSecond),
            r.megabytesPerSecond.toFixed(2),
            r.cpuSecondsPerMillion.toFixed(2),
            r.peakRssMiB.toFixed(0),
            ratio,
            rounds(r),
            r.role === "consumer" ? (r.commits ?? commitCadence(r.client)) : "–",
          ];
    }),
  );
}

function scaleOutTable(results: readonly ScaleOutResult[]): string {
  const one = results.find((r) => r.processes === 1 && !r.error);
  return table(
    ["batch-consumer processes", "records", "total msg/s", "÷ one process", "every round, k msg/s"],
    results.map((r) => [
      String(r.processes),
      fmt(r.messages),
      r.error ? `failed: ${r.error.slice(0, 80).replace(/[|\n]/g, " ")}` : fmt(r.messagesPerSecond),
      one && !r.error ? `${(r.messagesPerSecond / one.messagesPerSecond).toFixed(2)}×` : "–",
      (r.roundsMessagesPerSecond ?? [r.messagesPerSecond]).map((rate) => Math.round(rate / 1000)).join(" / "),
    ]),
  );
}

function latencyTable(results: readonly LatencyResult[]): string {
  return table(
    [
      "client",
      "offered rate",
      "p50 ms",
      "p99 ms",
      "p99.9 ms",
      "max ms",
      "values measured",
      "without result",
      "histogram p99 bucket",
      "p99 of every round, ms",
    ],
    results.map((r) => [
      r.ordering === undefined ? r.client : `${r.client}, ORDERING=${r.ordering}`,
      r.rate === 0 ? "one at a time" : `${fmt(r.rate)} msg/s`,
      String(r.latencyMs.p50),
      String(r.latencyMs.p99),
      String(r.latencyMs.p999),
      typeof r.latencyMs.max !== "number" || Number.isNaN(r.latencyMs.max) ? "–" : String(r.latencyMs.max),
      fmt(r.latencyMs.count),
      r.error ? `failed: ${r.error.slice(0, 80).replace(/[|\n]/g, " ")}` : fmt(r.missing),
      r.histogramP99BoundSeconds === undefined ? "–" : `≤ ${r.histogramP99BoundSeconds * 1000} ms`,
      (r.roundsP99Ms ?? [r.latencyMs.p99]).join(" / "),
    ]),
  );
}

function memoryTable(results: readonly MemoryResult[]): string {
  return table(
    [
      "service",
      "messages done",
      "RSS at warm-up MiB",
      "max RSS after MiB",
      "final RSS MiB",
      "growth outside V8's young generation (median, last ÷ first quarter)",
      "RSS itself, same",
      "peak RSS MiB",
      "JS heap floor growth",
    ],
    results.map((m) => [
      m.role,
      `${fmt(m.done)} / ${fmt(m.messages)}`,
      m.warmRssMiB.toFixed(0),
      m.maxRssAfterWarmupMiB.toFixed(0),
      m.finalRssMiB.toFixed(0),
      `${m.growthPercent.toFixed(1)} %`,
      m.rssGrowthPercent === undefined ? "–" : `${m.rssGrowthPercent.toFixed(1)} %`,
      m.peakRssMiB.toFixed(0),
      Number.isFinite(m.heapFloorGrowthPercent) ? `${m.heapFloorGrowthPercent.toFixed(1)} %` : "–",
    ]),
  );
}

function markdown(results: BenchResults, findings: string, charts: readonly string[]): string {
  const c = results.config;
  const m = results.machine;
  const batch = typeof c.throughputBatchSize === "number" ? String(c.throughputBatchSize) : "500";
  return `# Benchmarks

Generated by \`make bench\` (\`bench/main.ts\`) on ${results.startedAt}, in ${Math.round(results.durationSeconds / 60)} minutes.
Raw results: [benchmarks/results.json](benchmarks/results.json). Every comparison below is a ratio of two figures
measured in the same run on the same machine; absolute numbers from this shared 2-core machine are not
comparable with other runs.

## Targets

${targetsTable(results.targets)}

${charts.map((chart) => `![${chart}](benchmarks/${chart})`).join("\n\n")}

## Throughput

${fmt(Number(c.messages))} messages per run (KafkaJS's and @platformatic/kafka's producers, context only and the
slowest: at most ${fmt(PRODUCER_CAP.kafkajs ?? 0)}), each producer into a fresh topic (6 partitions, RF 3,
min.insync.replicas 2), acks=all everywhere. The consumers all read the topic the Java producer wrote in the same
round, each in a group of its own, from the beginning. ${typeof c.rounds === "number" ? c.rounds : 1} round(s); each row is the client's
median round, and the last column lists every round.

${throughputTable(results.throughput)}
${
  results.scaleOut === undefined || results.scaleOut.length === 0
    ? ""
    : `
## Scale-out

1 and 3 batch-consumer processes (\`BATCH_SIZE=${batch}\`) in one group on a topic of 6 partitions: the group
is formed first (every process owns partitions), then Java's ProducerPerformance writes the records; the total
rate runs from the group's first commit to the commit that completes the count.

${scaleOutTable(results.scaleOut)}
`
}
## End-to-end latency

${latencyTable(results.latency)}

## Memory

${memoryTable(results.memory)}

## Machine

${Object.entries(m)
  .map(([key, value]) => `- ${key}: ${value}`)
  .join("\n")}

## Method

- **How clients run.** Each client is its own process, started by the harness. kafka-fleet's producer and
  consumers are the real services (\`node --import tsx services/<role>/src/main.ts\`, configured by environment
  only, as their \`start\` scripts and the tests run them), with their real settings; the batch consumer runs
  with \`BATCH_SIZE=${batch}\` for throughput and with its defaults (10 / 1000 ms) for latency. The Java
  tools are Kafka 4.3.1's \`ProducerPerformance\`, \`ConsumerPerformance\` and \`EndToEndLatency\` with
  \`-Xmx512M\` (what Kafka's perf-test scripts give them) and their default client settings plus acks=all.
  librdkafka's own \`rdkafka_performance\` (C; built by \`bench/rdkafka-performance.sh\` from librdkafka's
  examples/ against the binding's own librdkafka.a, so the same library version) produces with \`-P\` as the
  producer service configures librdkafka (idempotent, acks=all, linger.ms 5, where the tool's default is 1000)
  and consumes with \`-G\` in a group of its own from the beginning at its defaults (auto-commit every 5 s) but
  for the fleet's consumers' \`fetch.queue.backoff.ms\` (10 ms; at librdkafka's 1 s the tool waits a second
  whenever its queue holds its 1M \`queued.min.messages\`, so on a topic of more than 1M records it measured that
  wait).
  KafkaJS 2.2.4 (\`bench/clients/kafkajs-style.ts\`): \`send()\` of 1,000 messages with 8 sends in flight, and a
  consumer with \`eachBatch\` and the library's default auto-commit. @platformatic/kafka, the pure-JavaScript
  client Node.js users now pick for speed (\`bench/clients/platformatic.ts\`, written as its README shows): an
  idempotent producer (acks=all, one request in flight per broker, as the library enforces) \`send()\`ing
  1,000 messages at a time with 8 sends queued, and a consumer reading its messages stream with \`data\` events
  and its default autocommit (after each fetch). Python confluent-kafka runs
  \`bench/clients/seed_python.py\`, written as the seed wrote it: \`produce()\` with a delivery callback and
  \`poll(0)\` per message, but idempotent as the producer service is; \`consume(num_messages=${batch})\` and a
  synchronous commit per batch. Each consumer row states how often it commits. kafka-fleet's batch consumer
  also runs at its defaults (\`BATCH_SIZE=10\`, the batches under way as its row states, publishing its results
  to a results topic, over the first 100,000 records).
- **Order and rounds.** Before anything is timed, ${fmt(Number(c.warmUpMessages ?? 1_000_000))} records go through the Java tools untimed, so no
  client meets freshly started brokers. The latency runs come next, while the brokers have little else to do;
  then every client runs once per round, each round starting with a different client
  (the order rotates), and each client's median round is reported: on this shared machine the same client's
  figure can move by 2× between runs minutes apart, and neither a single run nor a fixed order would say which.
  The plain loop of @confluentinc/kafka-javascript's callback API (\`bench/clients/ckjs-bare.ts\`: consume(n)
  that only counts and never commits; consumer only) is what a first attempt on the binding looks like, not a
  ceiling.
- **Values.** The services send int64 values, 8 bytes, and so does every row (\`--sizes 8,100\` adds rows of
  100-byte values for the peers only: a 100-byte value is a poison record to kafka-fleet's consumers). Java's
  8-byte records are random bytes, which are valid int64 values for the batch consumer.
- **Producer throughput** is counted from outside: the harness reads the topic's high watermarks every 50 ms
  (a record is below the high watermark once all in-sync replicas have it, which is what acks=all waits for) and
  takes a /proc sample of the client at the same instant. The window runs from the poll where 5 % of the
  messages are in (so start-up, connection and warm-up are outside) to the poll where all are in.
- **Consumer throughput** is counted as each client reports it: its first batch and the batch that completes
  the count (kafka-fleet: its \`batch.committed\` log events; Java: \`--show-detailed-stats\` every 250 ms; the
  peers: a line on their first and last batch). The group join before the first fetch is outside the window,
  as in ConsumerPerformance's fetch.nMsg.sec.
- **CPU** is utime + stime of the client process from \`/proc/<pid>/stat\` at the two ends of the window, per
  million messages; **peak RSS** is VmHWM from \`/proc/<pid>/status\`, sampled every 100 ms.
- **Latency.** For the services, the producer service sends at a fixed \`PRODUCE_RATE\` for ${String(c.latencySeconds)} s; the
  consumer runs with \`RESULTS_TOPIC\` and publishes one result per processed value. Latency per value = the
  result record's CreateTime (set when the consumer has processed it) − the input record's CreateTime (set by
  the producer when it sent it), both in ms from the same clock. The values sent in the first 5 s (at least 10 %
  of them) are warm-up and left out: both services have just started, and start-up stalls land there;
  percentiles are nearest-rank over the rest. The services' \`kafka_fleet_end_to_end_latency_seconds\`
  histogram is scraped at the end as a cross-check (its buckets are too coarse for a ratio). Kafka's
  \`EndToEndLatency\` sends ${fmt(Number(c.e2eRecords))} 8-byte records one at a time with acks=all, each after the previous one
  arrived at its consumer, so its rate is whatever its latency allows; it sets linger.ms=0 and
  fetch.max.wait.ms=0 for itself (the paced producer service lingers 20 ms; the consumers keep librdkafka's
  fetch defaults). A stall of the cluster counts once in its percentiles and once per value sent meanwhile in
  the services' (at 1,000 msg/s a 200 ms stall is 200 values, 2 % of a 10,000-value run). Both consumers
  run at their defaults, as \`make up\` runs them: the single consumer at \`ORDERING=key\`, under which the
  fleet's keyless values run concurrently, and the batch consumer at \`BATCH_SIZE=10\`. The single consumer at
  1k msg/s, Kafka's Java client carrying the same stream (the target's peer) and EndToEndLatency run
  in ${typeof c.rounds === "number" ? c.rounds : 1} round(s) with the client alone at the same rate, each round
  starting with the next of the four; each row is the median round by p99, and the last column lists every round's p99.
  \`ckjs-relay\` is the client binding alone doing the single consumer's work (consume(64), one keyed result
  per value with the same 20 ms linger, nothing else; bench/clients/ckjs-relay.ts), fed by the same producer
  service: the single consumer's p99 over the relay's is the service's own share. \`java-paced\` is Kafka's
  own Java client on both ends of the same stream (bench/clients/JavaPacedLatency.java: acks=all, idempotent,
  linger.ms 20 as the producer service's, keyless values paced per record; latency = when its consumer's
  poll() returned a value − the value's CreateTime): what Kafka's reference client allows for this traffic on
  this machine, where EndToEndLatency measures one record at a time.
- **Memory.** The producer writes ${fmt(Number(c.memoryMessages))} values at ${fmt(Number(c.memoryRate))} msg/s (a rate both
  consumers sustain, so neither fills librdkafka's pre-fetch queue by lagging) while the batch
  consumer (\`BATCH_SIZE=${batch}\`) and the single consumer (defaults) read them; RSS is sampled every
  second, and with it the size of V8's young generation (\`nodejs_heap_space_size_total_bytes{space="new"}\`);
  after 20 % of the messages (warm-up), growth = the median of the last quarter of the samples against the median
  of the first quarter, of RSS less the young generation: a stall that fills a queue for a few seconds moves a few
  samples, a leak the whole last quarter (the highest RSS is shown beside it, not judged). The young generation is
  set aside because V8 sizes it to the allocation rate, up and down (16 → 32 → 4 → 8 MiB in one producer run of
  15M values, RSS 120 → 136 → 113 → 129 MiB with it): a step of it in the last quarter is not a leak, while a
  leak in JavaScript (the old generation) or in native code still counts; RSS itself is shown too. Beside it, the
  JavaScript heap's floor (its lowest \`nodejs_heap_size_used_bytes\`, the live set after a collection) in the
  last quarter of the run against the first quarter after warm-up: a leak in the services' code raises that floor,
  while V8 and the allocator growing their reserves move RSS in steps without it.
- **Clean-up.** Every topic and group the run creates has a unique name and is deleted at the end, also on
  failure or Ctrl-C.
- **A quiet cluster and machine.** The run refuses to start while other kafka-fleet clients run
  (\`--ignore-running\` overrides) or while the cluster holds topics besides its own (\`--ignore-topics\`): the
  brokers keep fetching and replicating every partition of every topic, and 34 leftover topics once slowed every
  figure of a run 2-4×. Topics an interrupted bench run left (\`bench-…\`) are deleted first.

Run it: \`make bench\` (full), \`make bench BENCH_SMOKE=1\` (every part on a few thousand messages, output under
\`.run/bench-smoke/\`), or \`make bench BENCH_ARGS="--messages 2000000 --memory-rate 50000"\`;
\`--parts\`, \`--clients\` and \`--sizes\` select a subset.

${findings}`;
}

/** Writes the report, the raw JSON and the charts; returns the targets table for the terminal. */
export async function writeReport(
  results: BenchResults,
  outDir: string,
): Promise<{ table: string; files: string[] }> {
  const dataDir = join(outDir, "benchmarks");
  await mkdir(dataDir, { recursive: true });
  const charts: string[] = [];
  const files: string[] = [];
  const write = async (path: string, text: string, parser?: "json" | "markdown") => {
    await (parser === undefined ? writeFile(path, text) : writeFormatted(path, text, parser));
    files.push(relative(REPO_ROOT, path));
  };
  if (results.throughput.length > 0) {
    charts.push("throughput.svg");
    await write(join(dataDir, "throughput.svg"), throughputChart(results.throughput));
  }
  if (results.memory.length > 0) {
    charts.push("memory.svg");
    await write(join(dataDir, "memory.svg"), memoryChart(results.memory));
  }
  // Formatted, so that `make lint` (prettier --check) accepts them.
  await write(
    join(dataDir, "results.json"),
    JSON.stringify({ ...results, config: withRepoRelativeOut(results.config) }),
    "json",
  );
  const findings = existsSync(FINDINGS) ? await readFile(FINDINGS, "utf8") : "";
  await write(join(outDir, "benchmarks.md"), markdown(results, findings, charts), "markdown");
  return { table: targetsTable(results.targets), files };
}

/**
 * A run's settings as saved beside its results: the output folder relative to the repository, so that the saved
 * data names no path of the machine that ran it.
 */
export function withRepoRelativeOut<T extends object>(settings: T): T {
  const out = (settings as { out?: unknown }).out;
  return typeof out === "string" ? { ...settings, out: relative(REPO_ROOT, out) || "." } : settings;
}
