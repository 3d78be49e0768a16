// Share groups against a consumer group, and kafka-fleet's share worker beside Kafka's own KafkaShareConsumer, in
// one run on the local cluster: a 6-partition topic, a handler that takes 20 ms a record, a paced stream faster
// than 6 members can handle. Measured: msg/s (values processed over the time from the first value sent to the
// last result) and end-to-end p50/p99 (result CreateTime − input CreateTime, per value), the members that
// processed anything, and the members' memory (RSS summed over their processes at the end).
//
//   npm run bench:share [-- --rate 600 --seconds 12 --members 6,12,24 --delay-ms 20 --clients ... --no-write]
//
// kafka-fleet members are processes (harness/fixtures/slow-worker.ts: the batch consumer with the slow handler,
// GROUP_TYPE=share for a share group); Java's are threads of one JVM (bench/clients/JavaShareWorkers.java), each
// with its own share consumer and producer. Writes docs/benchmarks/share-groups.md.
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";

import { messageOf } from "@kafka-fleet/service";

import { cluster } from "../harness/kafka.ts";
import { REPO_ROOT } from "./lib/clients.ts";
import { BOOTSTRAP, PARTITIONS, Scratch, TopicCounter, readTimestamps } from "./lib/kafka.ts";
import { jsonLine, killAll, runningClients, startMeasured, type Measured } from "./lib/process.ts";
import { Reporter } from "./lib/reporter.ts";
import { writeFormatted } from "./report/formatted.ts";
import { percentiles, type Percentiles } from "./lib/stats.ts";

const OPTIONS = {
  rate: { type: "string", default: "600" },
  seconds: { type: "string", default: "12" },
  members: { type: "string", default: "6,12,24" },
  "delay-ms": { type: "string", default: "20" },
  clients: { type: "string", default: "consumer-group,kafka-fleet,java" },
  "no-write": { type: "boolean", default: false },
} as const;

type Client = "consumer-group" | "kafka-fleet" | "java";
const CLIENTS: readonly Client[] = ["consumer-group", "kafka-fleet", "java"];
const LABELS: Record<Client, string> = {
  "consumer-group": "consumer group (kafka-fleet batch consumer)",
  "kafka-fleet": "share group, kafka-fleet share worker",
  java: "share group, Java KafkaShareConsumer 4.3.1",
};

/** The flags, or one line naming the bad one (exit 2). */
function parseFlags() {
  try {
    const { values } = parseArgs({ options: OPTIONS });
    const numbers = (text: string, flag: string) =>
      text.split(",").map((item) => {
        const value = Number(item);
        if (!Number.isInteger(value) || value <= 0) throw new Error(`--${flag}: "${item}" is not a count`);
        return value;
      });
    const clients = values.clients.split(",") as Client[];
    const unknown = clients.filter((client) => !CLIENTS.includes(client));
    if (unknown.length > 0)
      throw new Error(`--clients: ${unknown.join(", ")}; expected ${CLIENTS.join(", ")}`);
    return {
      rate: numbers(values.rate, "rate")[0]!,
      seconds: numbers(values.seconds, "seconds")[0]!,
      members: numbers(values.members, "members"),
      delayMs: numbers(values["delay-ms"], "delay-ms")[0]!,
      clients,
      write: !values["no-write"],
    };
  } catch (error) {
    process.stderr.write(
      `bench share-groups: ${messageOf(error)}\nflags: ${Object.keys(OPTIONS)
        .map((name) => `--${name}`)
        .join(" ")}\n`,
    );
    process.exit(2);
  }
}

const config = parseFlags();
/** A consumer group cannot use more members than partitions: it is measured at the partition count only. */
const CONSUMER_GROUP_MEMBERS = PARTITIONS;
/** The share group's record lock: well above a batch's time (BATCH_SIZE 10 × 20 ms), so nothing expires. */
const LOCK_MS = 30_000;
const BATCH_SIZE = 10;
/** The warm-up stream before each measured one: its values are left out of every figure. */
const WARMUP_RATE = 10;
const WARMUP_VALUES = 80;

interface Row {
  readonly client: Client;
  readonly members: number;
  readonly sent: number;
  readonly processed: number;
  readonly perSecond: number;
  readonly latencyMs: Percentiles;
  /** Members that processed at least one record. */
  readonly busy: number;
  readonly rssMiB: number;
  readonly error?: string;
}

/** Members of one configuration, running; `processed()` asks each how many records it handled. */
interface Fleet {
  readonly processes: Measured[];
  readonly ready: Promise<void>;
  processedPerMember(): Promise<number[]>;
  stop(): Promise<void>;
}

const nodeArgs = ["--import", "tsx", `${REPO_ROOT}harness/fixtures/slow-worker.ts`];

function startNodeMembers(
  client: "consumer-group" | "kafka-fleet",
  members: number,
  env: Record<string, string>,
): Fleet {
  const ports: number[] = [];
  const owned = new Map<number, number>();
  const processes = Array.from({ length: members }, (_, index) => {
    const member = startMeasured(`${client}#${index}`, process.execPath, nodeArgs, {
      KAFKA_BOOTSTRAP_SERVERS: BOOTSTRAP.join(","),
      METRICS_PORT: "0",
      LOG_LEVEL: "info",
      SHUTDOWN_GRACE_MS: "20000",
      HANDLER_DELAY_MS: String(config.delayMs),
      BATCH_SIZE: String(BATCH_SIZE),
      GROUP_TYPE: client === "kafka-fleet" ? "share" : "consumer",
      // One batch at a time, as a share-group member and a Java member take them: the batch consumer's default
      // overlaps a batch's handler call with the previous batch's (BATCH_MAX_UNCOMMITTED), which would make a
      // consumer-group member more than one worker.
      BATCH_MAX_UNCOMMITTED: "1",
      ...env,
    });
    member.onLine((line) => {
      const event = jsonLine(line);
      if (event?.event === "service.started") ports[index] = Number(event.metricsPort);
      if (typeof event?.event === "string" && event.event.startsWith("rebalance.") && "owned" in event)
        owned.set(index, Number(event.owned));
    });
    return member;
  });
  const ready = (async () => {
    if (client === "kafka-fleet") {
      await Promise.all(
        processes.map((member) =>
          member.waitForLine(
            (line) => (jsonLine(line)?.event === "share_consumer.running" ? true : undefined),
            120_000,
          ),
        ),
      );
      return;
    }
    // The group has settled when every partition is owned and no member has rebalanced for 3 s.
    const deadline = Date.now() + 120_000;
    let lastChange = Date.now();
    let seen = "";
    while (Date.now() < deadline) {
      const now = JSON.stringify([...owned.entries()].sort());
      if (now !== seen) [seen, lastChange] = [now, Date.now()];
      const total = [...owned.values()].reduce((sum, count) => sum + count, 0);
      if (total === PARTITIONS && Date.now() - lastChange > 3_000) return;
      await sleep(200);
    }
    throw new Error(`the consumer group did not settle: owned ${seen}`);
  })();
  return {
    processes,
    ready,
    async processedPerMember() {
      return Promise.all(
        ports.map(async (port) => {
          const page = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
          const match = /^kafka_fleet_messages_processed_total(?:\{[^}]*\})? (\S+)$/m.exec(page);
          return Number(match?.[1] ?? 0);
        }),
      );
    },
    async stop() {
      await Promise.all(processes.map((member) => member.stop()));
    },
  };
}

function startJavaMembers(members: number, env: Record<string, string>): Fleet {
  const jvm = startMeasured("java-share", "java", [
    // One heap for all the members: 24 share consumers and 24 producers fit in 512 MiB (Kafka's perf scripts' heap).
    "-Xmx512M",
    "-cp",
    `${REPO_ROOT}.run/kafka-jars/*`,
    `${REPO_ROOT}bench/clients/JavaShareWorkers.java`,
    ...[
      "--bootstrap-server",
      BOOTSTRAP.join(","),
      "--topic",
      env.KAFKA_TOPIC!,
      "--results",
      env.RESULTS_TOPIC!,
    ],
    ...["--group", env.CONSUMER_GROUP!, "--members", String(members)],
    ...["--delay-ms", String(config.delayMs), "--max-poll-records", String(BATCH_SIZE)],
  ]);
  let processed: number[] = [];
  jvm.onLine((line) => {
    const event = jsonLine(line);
    if (event?.event === "processed" || event?.event === "done") processed = event.processed as number[];
  });
  return {
    processes: [jvm],
    ready: jvm
      .waitForLine((line) => (jsonLine(line)?.event === "ready" ? true : undefined), 120_000)
      .then(() => undefined),
    // The JVM reports its members' counts every second.
    processedPerMember: () => Promise.resolve(processed),
    async stop() {
      await jvm.stop();
    },
  };
}

/** The producer service sending the values [from, to) at `rate` msg/s. */
function produce(topic: string, from: number, to: number, rate: number): Measured {
  return startMeasured(
    "producer",
    process.execPath,
    ["--import", "tsx", `${REPO_ROOT}services/producer/src/main.ts`],
    {
      KAFKA_BOOTSTRAP_SERVERS: BOOTSTRAP.join(","),
      METRICS_PORT: "0",
      KAFKA_TOPIC: topic,
      PRODUCE_FROM: String(from),
      PRODUCE_TO: String(to),
      PRODUCE_RATE: String(rate),
      PROGRESS_INTERVAL_MS: "3600000",
    },
  );
}

/** Waits until `topic` holds `count` records; false if `deadline` passes first. */
async function waitForCount(
  counter: TopicCounter,
  topic: string,
  count: number,
  deadline: number,
  progress?: (done: number) => void,
): Promise<boolean> {
  while (Date.now() < deadline) {
    const done = await counter.count(topic);
    progress?.(done);
    if (done >= count) return true;
    await sleep(500);
  }
  return false;
}

async function measure(
  client: Client,
  members: number,
  scratch: Scratch,
  counter: TopicCounter,
  reporter: Reporter,
): Promise<Row> {
  const sent = config.rate * config.seconds;
  const input = await scratch.topic(`share-${client}-${members}`);
  await scratch.dlqFor(input);
  const results = await scratch.topic(`share-${client}-${members}-results`);
  const group = scratch.group(`share-${client}-${members}`);
  if (client !== "consumer-group") {
    await cluster(
      "group-config",
      group,
      `share.auto.offset.reset=earliest,share.record.lock.duration.ms=${LOCK_MS}`,
    );
  }
  const env = { KAFKA_TOPIC: input, RESULTS_TOPIC: results, CONSUMER_GROUP: group };
  reporter.step(`${LABELS[client]}, ${members} members: starting them`);
  const fleet = client === "java" ? startJavaMembers(members, env) : startNodeMembers(client, members, env);
  let error: string | undefined;
  let before: number[] = [];
  let after: number[] = [];
  let rssBytes = 0;
  try {
    await fleet.ready;
    // A share member gets its partitions from the coordinator over its heartbeats (every 5 s): a slow stream for
    // a while first, so that the measured one finds every member at work and every member has run its handler.
    reporter.step(
      `${LABELS[client]}, ${members} members: warm-up, ${WARMUP_RATE} msg/s for ${WARMUP_VALUES / WARMUP_RATE} s`,
    );
    const warmUp = produce(input, 0, WARMUP_VALUES, WARMUP_RATE);
    if ((await warmUp.exited) !== 0) throw new Error(`warm-up producer failed: ${warmUp.stderrTail()}`);
    if (!(await waitForCount(counter, results, WARMUP_VALUES, Date.now() + 60_000)))
      throw new Error("the warm-up values were not all processed within 60 s");
    before = await fleet.processedPerMember();
    reporter.step(`${LABELS[client]}, ${members} members: ${config.rate} msg/s for ${config.seconds} s`);
    const producer = produce(input, WARMUP_VALUES, WARMUP_VALUES + sent, config.rate);
    // Six members at 20 ms a record handle 300 msg/s: time for the slowest configuration to finish, and no more.
    const slowest = (sent / ((CONSUMER_GROUP_MEMBERS * 1000) / config.delayMs)) * 1000;
    const deadline = Date.now() + Math.max(config.seconds * 1000, slowest) * 1.5 + 30_000;
    await waitForCount(counter, results, WARMUP_VALUES + sent, deadline, (done) =>
      reporter.progress(`${client} × ${members}`, done - WARMUP_VALUES, sent),
    );
    const code = await producer.exited;
    if (code !== 0) error = `producer exited ${code}: ${producer.stderrTail()}`;
    // Java reports its counts every second.
    if (client === "java") await sleep(1_500);
    after = await fleet.processedPerMember();
    rssBytes = fleet.processes.reduce((sum, member) => sum + member.mark().rssBytes, 0);
  } catch (failure) {
    error = messageOf(failure);
  } finally {
    await fleet.stop();
  }
  const total = WARMUP_VALUES + sent;
  const [sentAt, doneAt] = await Promise.all([readTimestamps(input, total), readTimestamps(results, total)]);
  const latencies: number[] = [];
  let firstSent = Infinity;
  let lastResult = 0;
  for (const [value, at] of sentAt) if (value >= BigInt(WARMUP_VALUES)) firstSent = Math.min(firstSent, at);
  for (const [value, at] of doneAt) {
    const start = sentAt.get(value);
    if (start === undefined || value < BigInt(WARMUP_VALUES)) continue;
    latencies.push(at - start);
    lastResult = Math.max(lastResult, at);
  }
  return {
    client,
    members,
    sent,
    processed: latencies.length,
    perSecond: latencies.length / ((lastResult - firstSent) / 1000),
    latencyMs: percentiles(latencies),
    busy: after.filter((count, index) => count > (before[index] ?? 0)).length,
    rssMiB: rssBytes / 2 ** 20,
    ...(error === undefined ? {} : { error }),
  };
}

const fmt = (value: number, digits = 0) =>
  Number.isFinite(value) ? value.toLocaleString("en-US", { maximumFractionDigits: digits }) : "-";

function table(rows: readonly Row[]): string {
  const peer = (row: Row) =>
    row.client === "kafka-fleet"
      ? rows.find((r) => r.client === "java" && r.members === row.members)
      : undefined;
  const groupRow = rows.find((row) => row.client === "consumer-group");
  const lines = [
    "| group, client | members | busy | msg/s | × consumer group | e2e p50 ms | e2e p99 ms | kafka-fleet / Java msg/s, p99 | processed | RSS MiB |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |",
  ];
  for (const row of rows) {
    const java = peer(row);
    lines.push(
      `| ${LABELS[row.client]} | ${row.members} | ${row.busy} | ${fmt(row.perSecond)} | ` +
        `${groupRow === undefined ? "-" : fmt(row.perSecond / groupRow.perSecond, 2)} | ` +
        `${fmt(row.latencyMs.p50)} | ${fmt(row.latencyMs.p99)} | ` +
        `${java === undefined ? "" : `${fmt(row.perSecond / java.perSecond, 2)}, ${fmt(row.latencyMs.p99 / java.latencyMs.p99, 2)}`} | ` +
        `${fmt(row.processed)}/${fmt(row.sent)} | ${fmt(row.rssMiB)} |` +
        (row.error === undefined ? "" : ` error: ${row.error.split("\n")[0]}`),
    );
  }
  return lines.join("\n");
}

async function main(): Promise<void> {
  const reporter = new Reporter();
  const others = runningClients();
  if (others.length > 0) {
    reporter.step(
      `note: ${others.length} other kafka-fleet client process(es) running on this machine; figures share its CPU`,
    );
  }
  const scratch = new Scratch();
  const counter = await TopicCounter.open();
  const interrupted = () => {
    killAll();
    void scratch.cleanup().finally(() => process.exit(130));
  };
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);
  const rows: Row[] = [];
  const started = new Date();
  try {
    if (config.clients.includes("consumer-group"))
      rows.push(await measure("consumer-group", CONSUMER_GROUP_MEMBERS, scratch, counter, reporter));
    for (const members of config.members) {
      for (const client of ["kafka-fleet", "java"] as const) {
        if (config.clients.includes(client))
          rows.push(await measure(client, members, scratch, counter, reporter));
      }
    }
  } finally {
    await counter.close();
    await scratch.cleanup();
  }
  const text = [
    `Run ${started.toISOString().slice(0, 16)} UTC: ${config.rate} msg/s offered for ${config.seconds} s (${fmt(config.rate * config.seconds)} values) to a`,
    `${PARTITIONS}-partition topic; the handler takes ${config.delayMs} ms a record, one after another (BATCH_SIZE / max.poll.records ${BATCH_SIZE}).`,
    "",
    table(rows),
  ].join("\n");
  process.stdout.write(`${text}\n`);
  if (config.write) {
    await writeFormatted(`${REPO_ROOT}docs/benchmarks/share-groups.md`, page(text), "markdown");
    reporter.step("wrote docs/benchmarks/share-groups.md");
  }
  process.exitCode = rows.some((row) => row.error !== undefined) ? 1 : 0;
}

function page(figures: string): string {
  return `# Share groups: more members than partitions

Written by \`npm run bench:share\` (\`bench/share-groups.ts\`) on the local 3-broker cluster; the numbers of one run on
this machine (2 shared cores), to be read as ratios against the peers measured minutes apart in the same run.

${figures}

**How.** One fresh 6-partition topic per row. The members start and settle first (a consumer group until every
partition is owned and nothing has moved for 3 s; a share group until every member has subscribed), then a warm-up
stream (${WARMUP_VALUES} values at ${WARMUP_RATE} msg/s, left out of every figure: a share member gets its partitions over its
heartbeats, every 5 s), then the producer service sends the measured values at the offered rate; a row ends when
every value has a result (or a grace period has passed). msg/s: values processed ÷ (last result's time − first
measured value's time); e2e: a result's CreateTime (set when the member publishes it, after the handler) − its
value's CreateTime, per value. *busy*: members that processed records of the measured stream. The consumer group
is measured at 6 members only: a 7th would get no partition. RSS: summed over the members' processes at the end.

- kafka-fleet: each member a process (\`harness/fixtures/slow-worker.ts\`: the batch consumer's handler after a
  sleep of the delay per record; \`GROUP_TYPE=share\` for the share group), one batch at a time
  (\`BATCH_SIZE=10\`, and \`BATCH_MAX_UNCOMMITTED=1\` in the consumer group, whose default lets a member's handler
  calls overlap).
- Java: \`bench/clients/JavaShareWorkers.java\`, one JVM (-Xmx512M) with each member a thread owning its own
  \`KafkaShareConsumer\` (implicit acknowledgement: the next poll accepts the last poll's records, after their
  results are flushed) and producer. Threads of one JVM cost less CPU and memory than processes: the RSS column
  compares deployments, not clients.
- Six members at ${config.delayMs} ms a record handle at most ${fmt((CONSUMER_GROUP_MEMBERS * 1000) / config.delayMs)} msg/s, so the offered rate is more than a
  consumer group can take: its backlog grows for the whole run, and its p99 is the age of that backlog. A share
  group's capacity grows with its members until it reaches the offered rate.
`;
}

await main();
