/**
 * The batch consumer beside the consumers it is judged against, on one pre-filled topic, in alternating rounds
 * (issue 29): kafka-fleet's batch-consumer (this checkout, and optionally another checkout of the repository, to
 * compare a change before and after in the same run), KafkaJS `eachBatch`, and librdkafka's own
 * `rdkafka_performance -G` (built by bench/rdkafka-performance.sh). Each client reads the whole topic from the
 * beginning in a group of its own; its rate runs from its first record (batch) to its last, as in `make bench`.
 * CPU is sampled from /proc from outside, per process and, with --threads, per thread at the end of the window.
 *
 *   node --import tsx bench/consume-peers.ts --topic T --count 1000000 --rounds 2 \
 *     --clients kafka-fleet,kafka-fleet@/path/to/other/checkout,kafkajs,rdkafka-performance
 *   --cpu-prof-dir DIR   the batch consumers run under `node --cpu-prof` (bench/cpu-profile-summary.ts reads it)
 *
 * The topic is filled beforehand (Java's ProducerPerformance, 8-byte values; its `<topic>.dlq` must exist, the
 * service refuses to start without it). Prints one JSON line per run and a summary with ratios to the first client.
 */
import { readFileSync, readdirSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";

import {
  RDKAFKA_PERFORMANCE,
  REPO_ROOT,
  startConsumer,
  startRdkafkaConsumer,
  type Progress,
} from "./lib/clients.ts";
import { BOOTSTRAP, uniqueName } from "./lib/kafka.ts";
import { jsonLine, startMeasured, type Measured } from "./lib/process.ts";
import { quantile } from "./lib/stats.ts";

const median = (values: readonly number[]) =>
  quantile(
    [...values].sort((a, b) => a - b),
    0.5,
  );

const { values: args } = parseArgs({
  options: {
    topic: { type: "string" },
    count: { type: "string", default: "1000000" },
    rounds: { type: "string", default: "2" },
    clients: { type: "string", default: "kafka-fleet,kafkajs,rdkafka-performance" },
    "batch-size": { type: "string", default: "500" },
    "cpu-prof-dir": { type: "string" },
    threads: { type: "boolean", default: false },
    rdkafka: { type: "string", default: RDKAFKA_PERFORMANCE },
  },
});
if (args.topic === undefined) {
  process.stderr.write("consume-peers: --topic is required (a topic filled beforehand)\n");
  process.exit(2);
}
const topic = args.topic;
const count = Number(args.count);
const batchSize = args["batch-size"];

interface RunResult {
  readonly client: string;
  readonly round: number;
  readonly messagesPerSecond: number;
  readonly cpuSecondsPerMillion: number;
  readonly threads?: Record<string, number>;
  readonly error?: string;
}

/** The batch-consumer service of the checkout at `root` (this one by default), as `make bench` runs it. */
function startFleet(root: string, group: string, onProgress: Track): Measured {
  const profile =
    args["cpu-prof-dir"] === undefined ? [] : ["--cpu-prof", "--cpu-prof-dir", args["cpu-prof-dir"]];
  const measured = startMeasured(
    "batch-consumer",
    process.execPath,
    [...profile, "--import", "tsx", `${root}/services/batch-consumer/src/main.ts`],
    {
      KAFKA_BOOTSTRAP_SERVERS: BOOTSTRAP.join(","),
      METRICS_PORT: "0",
      LOG_LEVEL: "info",
      SHUTDOWN_GRACE_MS: "20000",
      KAFKA_TOPIC: topic,
      CONSUMER_GROUP: group,
      BATCH_SIZE: batchSize,
    },
  );
  let seen = 0;
  measured.onLine((line) => {
    const event = jsonLine(line);
    if (event?.event !== "batch.committed") return;
    const size = Number(event.size);
    if (seen === 0) onProgress("first", measured, size);
    seen += size;
    if (seen >= count && seen - size < count) onProgress("done", measured, seen);
  });
  return measured;
}

/** `rdkafka_performance -G`, as `make bench` runs it. */
function startRdkafka(group: string, onProgress: Track): Measured {
  const measured: Measured = startRdkafkaConsumer(
    { topic, count, size: 8, group },
    (kind, seen) => onProgress(kind, measured, seen),
    args.rdkafka,
  );
  return measured;
}

type Track = (kind: "first" | "done", measured: Measured, count: number) => void;

/** CPU seconds per thread name (librdkafka's rdk:*, libuv-worker, the main thread …), summed over same names. */
function threadCpu(pid: number): Record<string, number> {
  const byName: Record<string, number> = {};
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")).replace(/\d+$/, "#");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const seconds = (Number(fields[11]) + Number(fields[12])) / 100;
      byName[name] = (byName[name] ?? 0) + seconds;
    }
  } catch {
    // Gone.
  }
  return byName;
}

function minus(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, seconds] of Object.entries(a)) {
    const spent = seconds - (b[name] ?? 0);
    if (spent >= 0.01) out[name] = Number(spent.toFixed(2));
  }
  return out;
}

async function runOne(client: string, round: number): Promise<RunResult> {
  const group = uniqueName(`cp-${client.replace(/[^a-z0-9-]/gi, "")}`);
  let start: (Progress & { threads: Record<string, number> }) | undefined;
  const done = Promise.withResolvers<Progress & { threads: Record<string, number> }>();
  const track: Track = (kind, measured, seen) => {
    const sample = measured.mark();
    const progress = {
      count: seen,
      at: sample.at,
      cpuSeconds: sample.cpuSeconds,
      threads: args.threads && measured.child.pid !== undefined ? threadCpu(measured.child.pid) : {},
    };
    if (kind === "first") start = progress;
    else done.resolve(progress);
  };
  let measured: Measured;
  if (client === "kafka-fleet") measured = startFleet(REPO_ROOT.replace(/\/$/, ""), group, track);
  else if (client.startsWith("kafka-fleet@")) measured = startFleet(client.slice(12), group, track);
  else if (client === "rdkafka-performance") measured = startRdkafka(group, track);
  else if (client === "kafkajs") {
    measured = startConsumer("kafkajs", { topic, count, size: 8, group }, (kind, progress) =>
      kind === "first" ? (start = { ...progress, threads: {} }) : done.resolve({ ...progress, threads: {} }),
    );
  } else throw new Error(`unknown client ${client}`);
  let error: string | undefined;
  let end: (Progress & { threads: Record<string, number> }) | undefined;
  try {
    end = await Promise.race([
      done.promise,
      measured.exited.then((code) => {
        throw new Error(`exited (${code}) before the end: ${measured.stderrTail()}`);
      }),
      sleep(180_000).then(() => {
        throw new Error("timed out");
      }),
    ]);
  } catch (failure) {
    error = String(failure);
  }
  // SIGINT: node writes its --cpu-prof on a signal-initiated exit only when the service exits by itself.
  await measured.stop("SIGTERM");
  if (start === undefined || end === undefined) {
    return { client, round, messagesPerSecond: 0, cpuSecondsPerMillion: 0, error: error ?? "no window" };
  }
  const messages = end.count - start.count;
  const seconds = (end.at - start.at) / 1000;
  return {
    client,
    round,
    messagesPerSecond: Math.round(messages / seconds),
    cpuSecondsPerMillion: Number((((end.cpuSeconds - start.cpuSeconds) * 1e6) / messages).toFixed(2)),
    ...(args.threads ? { threads: minus(end.threads, start.threads) } : {}),
  };
}

const clients = (args.clients ?? "").split(",").filter((client) => client !== "");
const results: RunResult[] = [];
for (let round = 1; round <= Number(args.rounds); round += 1) {
  // Alternating order: each client goes first in some round, so a machine that slows down midway is shared.
  const order = round % 2 === 1 ? clients : [...clients].reverse();
  for (const client of order) {
    const result = await runOne(client, round);
    results.push(result);
    process.stdout.write(`${JSON.stringify(result)}\n`);
  }
}

const first = clients[0] as string;
const rateOf = (client: string) =>
  median(results.filter((r) => r.client === client && r.error === undefined).map((r) => r.messagesPerSecond));
process.stdout.write(
  "\nclient | median msg/s | every round | CPU-s / 1M (median) | ratio of the first to this\n",
);
for (const client of clients) {
  const runs = results.filter((r) => r.client === client);
  const rate = rateOf(client);
  const cpu = median(runs.filter((r) => r.error === undefined).map((r) => r.cpuSecondsPerMillion));
  const every = runs.map((r) =>
    r.error === undefined ? `${Math.round(r.messagesPerSecond / 1000)}k` : "failed",
  );
  process.stdout.write(
    `${client} | ${rate} | ${every.join(" / ")} | ${cpu} | ${(rateOf(first) / rate).toFixed(2)}×\n`,
  );
}
// Per round too: machines are noisy, and a ratio within one round is the fairest pairing.
process.stdout.write("\nper round, the first client's rate ÷ each other's:\n");
for (let round = 1; round <= Number(args.rounds); round += 1) {
  const ofRound = results.filter((r) => r.round === round);
  const base = ofRound.find((r) => r.client === first)?.messagesPerSecond ?? 0;
  const ratios = ofRound
    .filter((r) => r.client !== first)
    .map((r) => `${r.client} ${r.messagesPerSecond > 0 ? (base / r.messagesPerSecond).toFixed(2) : "-"}×`);
  process.stdout.write(`round ${round}: ${ratios.join(", ")}\n`);
}
