/**
 * `make bench`: kafka-fleet's services side by side with Kafka's Java perf tools, librdkafka's rdkafka_performance,
 * KafkaJS, @platformatic/kafka, the binding's plain callback API and the seed's Python stack, on the local 3-broker
 * cluster, in one run.
 * Every figure that matters is a ratio against a peer measured minutes apart on the same machine.
 *
 *   npm run bench                 full run, writes docs/benchmarks.md, docs/benchmarks/{results.json,*.svg}
 *   npm run bench -- --smoke      every part on a few thousand messages, writes .run/bench-smoke/
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import os from "node:os";
import { parseArgs } from "node:util";

import { librdkafkaVersion } from "@kafka-fleet/kafka";
import { messageOf } from "@kafka-fleet/service";

import {
  PRODUCER_CAP,
  PYTHON,
  RDKAFKA_PERFORMANCE,
  REPO_ROOT,
  THROUGHPUT_BATCH,
  setThroughputBatch,
  type ClientId,
} from "./lib/clients.ts";
import { Scratch, TopicCounter, strayTopics } from "./lib/kafka.ts";
import { killAll, runningClients } from "./lib/process.ts";
import { Reporter } from "./lib/reporter.ts";
import { medianLatency, medianRuns, rotate, throughputOrder } from "./lib/rounds.ts";
import {
  measureClientRelayLatency,
  measureJavaLatency,
  measureJavaPacedLatency,
  measureServiceLatency,
  type LatencyResult,
} from "./parts/latency.ts";
import { measureMemory, type MemoryResult } from "./parts/memory.ts";
import { defaultOrderingOptions, measureOrdering } from "./parts/ordering.ts";
import {
  measureConsumer,
  measureProducer,
  measureScaleOut,
  warmUpCluster,
  type ScaleOutResult,
  type ThroughputResult,
} from "./parts/throughput.ts";
import { writeReport, type BenchResults } from "./report/write.ts";
import { checkTargets } from "./report/targets.ts";

const OPTIONS = {
  smoke: { type: "boolean", default: false },
  messages: { type: "string" },
  "memory-messages": { type: "string" },
  "memory-rate": { type: "string" },
  "latency-seconds": { type: "string" },
  rounds: { type: "string" },
  "e2e-records": { type: "string" },
  parts: { type: "string", default: "throughput,scale,latency,memory,ordering" },
  clients: {
    type: "string",
    default: "kafka-fleet,kafka-fleet-b10,java,rdkafka-performance,kafkajs,platformatic,ckjs-bare,python",
  },
  // The services send 8-byte values only; another size (e.g. --sizes 8,100) adds peer-only rows.
  sizes: { type: "string", default: "8" },
  out: { type: "string" },
  "batch-size": { type: "string" },
  // Re-renders docs from a results.json (e.g. after editing bench/report/findings.md) without measuring.
  "report-only": { type: "string" },
  // Measures even though other kafka-fleet clients are running (their CPU use skews every figure).
  "ignore-running": { type: "boolean", default: false },
  "ignore-topics": { type: "boolean", default: false },
} as const;

/** The flags, or one line naming the bad one and the list of flags (exit 2): no stack trace for a typo. */
function parseFlags() {
  try {
    return parseArgs({ options: OPTIONS }).values;
  } catch (error) {
    const flags = Object.keys(OPTIONS).map((name) => `--${name}`);
    process.stderr.write(`bench: ${messageOf(error)}\nflags: ${flags.join(" ")}\n`);
    process.exit(2);
  }
}

const args = parseFlags();

const smoke = args.smoke;
const config = {
  smoke,
  /**
   * Per throughput run (each producer, each consumer, each value size). A producer's progress is the topic's
   * high watermark, read every 200 ms until 2026-12-07: at 1M records the fastest producers (1.2–1.7M msg/s here)
   * were timed over 3–4 reads, so their spacing alone moved a ratio by a fifth. 3M records (and reads every 50 ms,
   * throughput.ts) give such a window dozens of reads, and a consumer a window of seconds.
   */
  messages: Number(args.messages ?? (smoke ? 5_000 : 3_000_000)),
  /** Through the Java tools before anything is timed, so that no client meets freshly started brokers. */
  warmUpMessages: smoke ? 5_000 : 500_000,
  /**
   * Scale-out (context): the group's rate is bounded by Java's producer writing alongside (~100k msg/s here);
   * half a million records give each size of group a window of seconds, and the round its time mostly forming it.
   */
  scaleMessages: Number(args.messages ?? (smoke ? 5_000 : 500_000)),
  /** Throughput rounds; each client's median round is reported (this machine's figures swing run to run). */
  rounds: Number(args.rounds ?? (smoke ? 1 : 3)),
  // 100 s: after the 20 % warm-up, quarters of 20 samples whose medians are compared. At 30k msg/s the single
  // consumer fell 40 s behind on the shared 2-core machine (its pre-fetch queue filling, which the part must avoid).
  memoryMessages: Number(args["memory-messages"] ?? (smoke ? 20_000 : 2_000_000)),
  memoryRate: Number(args["memory-rate"] ?? (smoke ? 10_000 : 20_000)),
  // After the first 5 s (warm-up, left out), 7,000 values at 1k msg/s: a p99 of the 70 slowest, steadier than the
  // swing from one round to the next, which the rounds are there for.
  latencySeconds: Number(args["latency-seconds"] ?? (smoke ? 2 : 12)),
  latencyRates: [1_000, 10_000],
  // EndToEndLatency is context (the target's peer is java-paced): at ~9 ms a record here, 10,000 took 90 s a round.
  e2eRecords: Number(args["e2e-records"] ?? (smoke ? 200 : 2_000)),
  parts: new Set(args.parts.split(",")),
  clients: args.clients.split(",") as ClientId[],
  sizes: args.sizes.split(",").map(Number),
  out: args.out ?? (smoke ? `${REPO_ROOT}.run/bench-smoke` : `${REPO_ROOT}docs`),
};

function machine() {
  // java -version answers on stderr, python --version on stdout.
  const version = (command: string, flag: string) => {
    const run = spawnSync(command, [flag], { encoding: "utf8" });
    return `${run.stdout ?? ""}${run.stderr ?? ""}`.trim().split("\n")[0] ?? "unknown";
  };
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? "unknown",
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    java: version("java", "-version"),
    python: existsSync(PYTHON) ? version(PYTHON, "--version") : "missing",
    librdkafka: librdkafkaVersion,
    kafka: "Apache Kafka 4.3.1, 3 KRaft nodes on this machine",
  };
}

async function main(): Promise<void> {
  const reporter = new Reporter();
  if (args["report-only"] !== undefined) {
    const saved = JSON.parse(await readFile(args["report-only"], "utf8")) as BenchResults;
    const written = await writeReport(saved, config.out);
    process.stdout.write(`${written.table}\n\nwrote ${written.files.join(", ")}\n`);
    return;
  }
  if (args["batch-size"] !== undefined) setThroughputBatch(Number(args["batch-size"]));
  if (config.clients.includes("python") && !existsSync(PYTHON)) {
    throw new Error(`no Python venv at ${PYTHON}: run bench/setup.sh (make bench does)`);
  }
  if (config.clients.includes("rdkafka-performance") && !existsSync(RDKAFKA_PERFORMANCE)) {
    throw new Error(`no ${RDKAFKA_PERFORMANCE}: run bench/setup.sh (make bench does)`);
  }
  const strays = runningClients();
  if (strays.length > 0 && !args["ignore-running"]) {
    const list = strays.map(({ pid, command }) => `  ${pid} ${command.slice(0, 120)}`).join("\n");
    throw new Error(
      `other kafka-fleet clients are running and would take CPU from every measurement:\n${list}\n` +
        "stop them (make down-local, or kill the pids), or pass --ignore-running",
    );
  }
  const topics = await strayTopics(true);
  if (topics.deleted.length > 0) {
    reporter.step(`deleted ${topics.deleted.length} topic(s) an interrupted bench run left on the cluster`);
  }
  if (topics.kept.length > 0 && !args["ignore-topics"]) {
    const shown = topics.kept.slice(0, 10).join(", ") + (topics.kept.length > 10 ? ", …" : "");
    throw new Error(
      `the cluster holds ${topics.kept.length} topic(s) besides its own, whose partitions the brokers keep ` +
        `fetching and replicating, slowing every measurement: ${shown}\n` +
        "delete them (or wipe the local cluster: bash deploy/local/cluster.sh reset, then make cluster-up), " +
        "or pass --ignore-topics",
    );
  }
  const scratch = new Scratch();
  const counter = await TopicCounter.open();
  const started = Date.now();
  const throughput: ThroughputResult[] = [];
  const throughputRuns: ThroughputResult[] = [];
  const latencyRuns: LatencyResult[] = [];
  const latency: LatencyResult[] = [];
  let memory: MemoryResult[] = [];
  const scaleOut: ScaleOutResult[] = [];
  const partSeconds: Record<string, number> = {};
  let partStarted = Date.now();
  const partDone = (part: string) => {
    partSeconds[part] = Math.round((Date.now() - partStarted) / 1000);
    reporter.step(`${part}: ${partSeconds[part]} s`);
    partStarted = Date.now();
  };
  // Ctrl-C still deletes what this run created on the shared cluster.
  const interrupted = () => {
    reporter.step("interrupted: stopping clients, deleting this run's topics");
    killAll();
    void scratch.cleanup().finally(() => process.exit(130));
  };
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);
  try {
    if (config.parts.has("throughput") || config.parts.has("latency")) {
      await warmUpCluster(config.warmUpMessages, scratch, counter, reporter);
      partDone("warm-up");
    }
    // Latency first: it is the figure most easily spoiled by a busy machine, and the throughput rounds leave
    // gigabytes of fresh log segments behind for the brokers and the page cache to deal with.
    if (config.parts.has("latency")) {
      // The target's pair (Kafka's tool and the single consumer at 1k msg/s), the client alone doing the single
      // consumer's work at the same rate, and Kafka's Java client sending and receiving that stream run in rounds,
      // each round starting with another of them: a tail percentile on two shared cores moves by 10× from one
      // minute to the next.
      const pair: LatencyResult[] = [];
      const rate = 1_000;
      for (let round = 1; round <= config.rounds; round += 1) {
        for (const which of rotate(["java", "single", "relay", "java-paced"] as const, round - 1)) {
          const label = `round ${round}/${config.rounds}: latency of`;
          let result: LatencyResult;
          if (which === "java") {
            reporter.step(`${label} EndToEndLatency, ${config.e2eRecords} records one at a time`);
            result = await measureJavaLatency(config.e2eRecords, scratch);
          } else if (which === "single") {
            reporter.step(
              `${label} single-consumer (ORDERING=key) at ${rate} msg/s for ${config.latencySeconds} s`,
            );
            // At its defaults, as `make up` runs it: the fleet's keyless values run concurrently.
            result = await measureServiceLatency(
              "single-consumer",
              rate,
              config.latencySeconds,
              scratch,
              counter,
              reporter,
              "key",
            );
          } else if (which === "relay") {
            reporter.step(
              `${label} the client alone relaying values at ${rate} msg/s for ${config.latencySeconds} s`,
            );
            result = await measureClientRelayLatency(rate, config.latencySeconds, scratch, counter, reporter);
          } else {
            reporter.step(`${label} Kafka's Java client at ${rate} msg/s for ${config.latencySeconds} s`);
            result = await measureJavaPacedLatency(rate, config.latencySeconds, scratch);
          }
          reporter.step(describeLatency(result));
          pair.push({ ...result, round });
        }
      }
      latency.push(...medianLatency(pair));
      latencyRuns.push(...pair);
      // Both consumers at their defaults at the other rates (the single consumer's 1k msg/s is in the rounds).
      const others = [
        ...config.latencyRates
          .filter((rate) => rate !== 1_000)
          .map((rate) => ({ role: "single-consumer" as const, rate, ordering: "key" as const })),
        ...config.latencyRates.map((rate) => ({
          role: "batch-consumer" as const,
          rate,
          ordering: undefined,
        })),
      ];
      for (const { role, rate, ordering } of others) {
        const label = ordering === undefined ? role : `${role} (ORDERING=${ordering})`;
        reporter.step(`latency: ${label} at ${rate} msg/s for ${config.latencySeconds} s`);
        const result = await measureServiceLatency(
          role,
          rate,
          config.latencySeconds,
          scratch,
          counter,
          reporter,
          ordering,
        );
        reporter.step(describeLatency(result));
        latency.push(result);
      }
      partDone("latency");
    }
    if (config.parts.has("throughput")) {
      const runs: ThroughputResult[] = [];
      for (let round = 1; round <= config.rounds; round += 1) {
        for (const size of config.sizes) {
          // Each round starts with a different client, so none is always first (after a quiet spell) or last.
          // The services send int64 values: 8 bytes, nothing else; the other kafka-fleet rows only consume.
          const { producers, consumers } = throughputOrder(
            config.clients,
            round,
            (client) => !CONSUMER_ONLY.has(client) && !(client === "kafka-fleet" && size !== 8),
            (client) => !(client.startsWith("kafka-fleet") && size !== 8),
            ADJACENT,
          );
          // The Java producer's topic is the consumers' input: the same records for every consumer.
          let input: string | undefined;
          for (const client of producers) {
            const topic = await scratch.topic(`produce-${client}-${size}`);
            if (client === "java") input = topic;
            const count = Math.min(config.messages, PRODUCER_CAP[client] ?? config.messages);
            reporter.step(`round ${round}/${config.rounds}: producer ${client}, ${count} × ${size} B`);
            const result = await measureProducer(client, topic, count, size, counter, reporter);
            reporter.step(describeThroughput(result));
            runs.push({ ...result, round });
          }
          if (input === undefined) {
            reporter.step(`no Java producer run for ${size} B: consumers skipped`);
            continue;
          }
          for (const client of consumers) {
            // At BATCH_SIZE 10 a million records would take minutes: the defaults row reads the first 100k.
            const count = client === "kafka-fleet-b10" ? Math.min(config.messages, 100_000) : config.messages;
            reporter.step(`round ${round}/${config.rounds}: consumer ${client}, ${count} × ${size} B`);
            const result = await measureConsumer(client, input, count, size, scratch, reporter);
            reporter.step(describeThroughput(result));
            runs.push({ ...result, round });
          }
        }
      }
      throughput.push(...medianRuns(runs, config.clients, config.sizes));
      throughputRuns.push(...runs);
      partDone("throughput");
    }
    if (config.parts.has("scale")) {
      const runs: ScaleOutResult[] = [];
      for (let round = 1; round <= config.rounds; round += 1) {
        for (const processes of round % 2 === 1 ? [1, 3] : [3, 1]) {
          reporter.step(
            `round ${round}/${config.rounds}: scale-out, ${processes} batch consumer(s), ${config.scaleMessages} records`,
          );
          const result = await measureScaleOut(processes, config.scaleMessages, scratch, counter, reporter);
          reporter.step(
            result.error
              ? `  FAILED: ${result.error}`
              : `  ${fmtRate(result.messagesPerSecond)} msg/s in total`,
          );
          runs.push({ ...result, round });
        }
      }
      for (const processes of [1, 3]) {
        const mine = runs.filter((r) => r.processes === processes);
        const ok = mine.filter((r) => !r.error).sort((a, b) => a.messagesPerSecond - b.messagesPerSecond);
        const median = ok[Math.floor((ok.length - 1) / 2)] ?? mine[0];
        if (median) {
          scaleOut.push({ ...median, roundsMessagesPerSecond: mine.map((r) => r.messagesPerSecond) });
        }
      }
      partDone("scale");
    }
    if (config.parts.has("ordering")) {
      await measureOrdering(defaultOrderingOptions(smoke, config.out), scratch, reporter);
      partDone("ordering");
    }
    if (config.parts.has("memory")) {
      reporter.step(
        `memory: the three services over ${config.memoryMessages} messages at ${config.memoryRate} msg/s`,
      );
      memory = await measureMemory(config.memoryMessages, config.memoryRate, scratch, reporter);
      for (const service of memory) {
        reporter.step(
          `  ${service.role}: RSS ${service.warmRssMiB.toFixed(0)} → max ${service.maxRssAfterWarmupMiB.toFixed(0)} MiB after warm-up (${service.growthPercent.toFixed(1)} %), JS heap floor ${service.heapFloorGrowthPercent.toFixed(1)} %`,
        );
      }
      partDone("memory");
    }
  } finally {
    reporter.step("deleting this run's topics and groups");
    await counter.close();
    await scratch.cleanup();
  }

  const { parts, ...shown } = config;
  const results: BenchResults = {
    startedAt: new Date(started).toISOString(),
    durationSeconds: Math.round((Date.now() - started) / 1000),
    partSeconds,
    machine: machine(),
    config: { ...shown, parts: [...parts], throughputBatchSize: THROUGHPUT_BATCH },
    throughput,
    throughputRuns,
    latency,
    latencyRuns,
    memory,
    scaleOut,
    targets: checkTargets(throughput, latency, memory, scaleOut, THROUGHPUT_BATCH),
  };
  const written = await writeReport(results, config.out);
  process.stdout.write(`\n${written.table}\n\nwrote ${written.files.join(", ")}\n`);
  const failures = [
    ...throughputRuns,
    ...latencyRuns,
    ...latency.filter((r) => r.round === undefined),
  ].filter((r) => r.error !== undefined);
  if (failures.length > 0) {
    process.stderr.write(`${failures.length} measurements failed (see the report)\n`);
    process.exitCode = 1;
  }
}

/**
 * Rows that only consume: kafka-fleet's batch consumer at other settings, and the binding's plain loop (what the
 * batch consumer keeps of the binding's speed; no producer figure is compared with its producer loop's).
 */
const CONSUMER_ONLY: ReadonlySet<ClientId> = new Set(["kafka-fleet-b10", "ckjs-bare"]);
/**
 * The peers of the bars nearest their line run back to back with kafka-fleet in each throughput round, in turns
 * first (rounds.ts): the producer against rdkafka_performance -P, the batch consumer's CPU against Java's.
 */
const ADJACENT = {
  producers: ["kafka-fleet", "rdkafka-performance"],
  consumers: ["kafka-fleet", "java"],
} as const;

const fmtRate = (rate: number) => rate.toLocaleString("en-US");

function describeThroughput(r: ThroughputResult): string {
  if (r.error) return `  FAILED: ${r.error.slice(0, 400)}`;
  return `  ${r.messagesPerSecond.toLocaleString("en-US")} msg/s, ${r.megabytesPerSecond.toFixed(1)} MB/s, ${r.cpuSecondsPerMillion.toFixed(2)} CPU-s/1M, peak RSS ${r.peakRssMiB.toFixed(0)} MiB`;
}

function describeLatency(r: LatencyResult): string {
  if (r.error) return `  FAILED: ${r.error.slice(0, 400)}`;
  const { p50, p99, p999 } = r.latencyMs;
  return `  p50 ${p50} ms, p99 ${p99} ms, p99.9 ${p999} ms${r.missing > 0 ? `, ${r.missing} without result` : ""}`;
}

await main().catch((error: unknown) => {
  process.stderr.write(`bench: ${messageOf(error)}\n`);
  process.exitCode = 1;
});
