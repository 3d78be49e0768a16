/**
 * What ordering costs: the single consumer with a handler that waits 5 ms per record (simulated I/O) in its three
 * ORDERING modes, over inputs with 10 and with 1,000 distinct keys, beside Confluent's Parallel Consumer in KEY
 * order (the same 5 ms, the same concurrency cap) in the same run. Written to <out>/benchmarks/ordering.{md,json}.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";

import { DeliveryProducer } from "@kafka-fleet/kafka";
import { serializeInt } from "@kafka-fleet/serde";
import { createLogger } from "@kafka-fleet/service";

import { REPO_ROOT } from "../lib/clients.ts";
import { BOOTSTRAP, type Scratch } from "../lib/kafka.ts";
import { jsonLine, startMeasured, type Measured } from "../lib/process.ts";
import type { Reporter } from "../lib/reporter.ts";
import { writeFormatted } from "../report/formatted.ts";
import { withRepoRelativeOut } from "../report/write.ts";

export interface OrderingResult {
  readonly client: "kafka-fleet" | "parallel-consumer";
  readonly ordering: "key" | "partition" | "unordered";
  readonly keys: number;
  readonly messages: number;
  readonly messagesPerSecond: number;
  readonly error?: string;
}

export interface OrderingOptions {
  readonly messages: number;
  readonly keyCounts: readonly number[];
  readonly delayMs: number;
  /** MAX_IN_FLIGHT for ours, maxConcurrency for the Parallel Consumer. */
  readonly maxInFlight: number;
  readonly out: string;
}

export const defaultOrderingOptions = (smoke: boolean, out: string): OrderingOptions => ({
  // At 5 ms a record, the slowest mode (partition order over 10 keys, ~500 msg/s here) still has a 14 s window.
  messages: smoke ? 2_000 : 8_000,
  keyCounts: [10, 1_000],
  delayMs: 5,
  maxInFlight: 1_000,
  out,
});

const PC_DIR = `${REPO_ROOT}bench/clients/parallel-consumer`;
/** The rate is taken between these shares of the records: start-up and the drain of the last ones stay outside. */
const WINDOW = [0.05, 0.95] as const;
const ORDERINGS = ["key", "partition", "unordered"] as const;

export async function measureOrdering(
  options: OrderingOptions,
  scratch: Scratch,
  reporter: Reporter,
): Promise<OrderingResult[]> {
  const classpath = await parallelConsumerClasspath(reporter);
  const results: OrderingResult[] = [];
  for (const keys of options.keyCounts) {
    const topic = await scratch.topic(`ordering-${keys}`);
    await scratch.dlqFor(topic);
    reporter.step(`ordering: producing ${options.messages} records over ${keys} keys`);
    await produceKeyed(topic, options.messages, keys);
    for (const ordering of ORDERINGS) {
      reporter.step(
        `ordering: single-consumer ORDERING=${ordering}, ${keys} keys, ${options.delayMs} ms/record`,
      );
      const result = await measureOurs(topic, ordering, keys, options, scratch, reporter);
      reporter.step(`  ${describe(result)}`);
      results.push(result);
    }
    if (classpath === undefined) continue;
    reporter.step(`ordering: Parallel Consumer KEY order, ${keys} keys, ${options.delayMs} ms/record`);
    const peer = await measurePeer(topic, keys, classpath, options, scratch, reporter);
    reporter.step(`  ${describe(peer)}`);
    results.push(peer);
  }
  await writeOrderingReport(results, options);
  return results;
}

async function produceKeyed(topic: string, count: number, keys: number): Promise<void> {
  const producer = await DeliveryProducer.connect({
    identity: { bootstrapServers: BOOTSTRAP, service: "bench" },
    logger: createLogger({ service: "bench", level: "warn", pretty: false }),
    connectTimeoutMs: 15_000,
  });
  try {
    const sends: Promise<void>[] = [];
    for (let value = 0; value < count; value += 1) {
      const key = Buffer.from(`key-${value % keys}`);
      sends.push(producer.send({ topic, key, value: serializeInt(BigInt(value)) }));
    }
    await Promise.all(sends);
  } finally {
    await producer.close(10_000);
  }
}

async function measureOurs(
  topic: string,
  ordering: (typeof ORDERINGS)[number],
  keys: number,
  options: OrderingOptions,
  scratch: Scratch,
  reporter: Reporter,
): Promise<OrderingResult> {
  const run = startMeasured(
    `single-consumer ${ordering}`,
    process.execPath,
    ["--import", "tsx", `${REPO_ROOT}bench/clients/slow-single-consumer.ts`],
    {
      KAFKA_BOOTSTRAP_SERVERS: BOOTSTRAP.join(","),
      KAFKA_TOPIC: topic,
      CONSUMER_GROUP: scratch.group(`ordering-${ordering}`),
      ORDERING: ordering,
      MAX_IN_FLIGHT: String(options.maxInFlight),
      HANDLER_DELAY_MS: String(options.delayMs),
      METRICS_PORT: "0",
      LOG_LEVEL: "info",
      SHUTDOWN_GRACE_MS: "20000",
    },
  );
  const base = { client: "kafka-fleet" as const, ordering, keys, messages: options.messages };
  try {
    const port = await run.waitForLine((line) => {
      const event = jsonLine(line);
      return event?.event === "service.started" ? Number(event.metricsPort) : undefined;
    }, 60_000);
    // The service's own count of processed records, read from its /metrics page.
    const processed = async () => {
      const page = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const line = page.split("\n").find((text) => text.startsWith("kafka_fleet_messages_processed_total"));
      return Number(line?.split(" ").at(-1) ?? 0);
    };
    const rate = await windowRate(processed, options.messages, run, reporter, `ours ${ordering}/${keys}`);
    return { ...base, messagesPerSecond: rate };
  } catch (error) {
    return { ...base, messagesPerSecond: 0, error: String(error) };
  } finally {
    await run.stop();
  }
}

async function measurePeer(
  topic: string,
  keys: number,
  classpath: string,
  options: OrderingOptions,
  scratch: Scratch,
  reporter: Reporter,
): Promise<OrderingResult> {
  let latest = 0;
  const run = startMeasured("parallel-consumer", "java", [
    "-Xmx512M",
    "-cp",
    classpath,
    `${PC_DIR}/ParallelConsumerBench.java`,
    BOOTSTRAP.join(","),
    topic,
    scratch.group("ordering-pc"),
    String(options.messages),
    String(options.maxInFlight),
    String(options.delayMs),
  ]);
  run.onLine((line) => {
    const event = jsonLine(line);
    if (event?.event === "progress") latest = Number(event.count);
  });
  const base = {
    client: "parallel-consumer" as const,
    ordering: "key" as const,
    keys,
    messages: options.messages,
  };
  try {
    const rate = await windowRate(
      () => Promise.resolve(latest),
      options.messages,
      run,
      reporter,
      `PC key/${keys}`,
    );
    return { ...base, messagesPerSecond: rate };
  } catch (error) {
    return { ...base, messagesPerSecond: 0, error: `${String(error)} ${run.stderrTail()}` };
  } finally {
    await run.stop();
  }
}

/** Polls a progress count every 250 ms; msg/s between the first readings past 5 % and past 95 % of `total`. */
async function windowRate(
  read: () => Promise<number>,
  total: number,
  run: Measured,
  reporter: Reporter,
  what: string,
): Promise<number> {
  let exited = false;
  void run.exited.then(() => (exited = true));
  let start: { count: number; at: number } | undefined;
  const deadline = Date.now() + 20 * 60_000;
  while (Date.now() < deadline) {
    if (exited && start === undefined) throw new Error(`${what} exited early: ${run.stderrTail()}`);
    const count = await read();
    const at = Date.now();
    reporter.progress(what, count, total);
    if (start === undefined && count >= total * WINDOW[0]) start = { count, at };
    else if (start !== undefined && count >= total * WINDOW[1]) {
      return Math.round(((count - start.count) * 1000) / Math.max(1, at - start.at));
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${what} did not process ${total * WINDOW[1]} records in time`);
}

/** The Parallel Consumer's classpath, resolved by Maven from Maven Central; undefined (peer skipped) if it cannot. */
async function parallelConsumerClasspath(reporter: Reporter): Promise<string | undefined> {
  const file = `${REPO_ROOT}.run/parallel-consumer.classpath`;
  if (!existsSync(file)) {
    reporter.step("ordering: resolving io.confluent.parallelconsumer:parallel-consumer-core with Maven");
    const resolved = spawnSync(
      "mvn",
      ["-q", "-f", `${PC_DIR}/pom.xml`, "dependency:build-classpath", `-Dmdep.outputFile=${file}`],
      { encoding: "utf8", timeout: 600_000 },
    );
    if (resolved.status !== 0 || !existsSync(file)) {
      reporter.step(
        `ordering: no Parallel Consumer peer (Maven: ${`${resolved.stderr}${resolved.stdout}`.slice(-300)})`,
      );
      return undefined;
    }
  }
  return (await readFile(file, "utf8")).trim();
}

function describe(result: OrderingResult): string {
  const who =
    result.client === "kafka-fleet" ? `single-consumer ${result.ordering}` : "Parallel Consumer KEY";
  return `${who}, ${result.keys} keys: ${result.error === undefined ? `${result.messagesPerSecond} msg/s` : `failed: ${result.error.slice(0, 300)}`}`;
}

/** The side-by-side table: one row per key count, one column per client and mode, ratios to the peer. */
export function orderingTable(results: readonly OrderingResult[], options: OrderingOptions): string {
  const rate = (keys: number, client: OrderingResult["client"], ordering: OrderingResult["ordering"]) =>
    results.find(
      (r) => r.keys === keys && r.client === client && r.ordering === ordering && r.error === undefined,
    )?.messagesPerSecond;
  const cell = (value: number | undefined, peer: number | undefined) =>
    value === undefined
      ? "—"
      : peer === undefined || peer === 0
        ? `${value}`
        : `${value} (${(value / peer).toFixed(2)}×)`;
  const lines = [
    `Handler: ${options.delayMs} ms per record; ${options.messages} records; concurrency cap ${options.maxInFlight}; msg/s (ratio to the Parallel Consumer, KEY order, same run).`,
    "",
    "| distinct keys | ours: key | ours: partition | ours: unordered | Parallel Consumer: KEY |",
    "|---:|---:|---:|---:|---:|",
  ];
  for (const keys of options.keyCounts) {
    const peer = rate(keys, "parallel-consumer", "key");
    lines.push(
      `| ${keys} | ${cell(rate(keys, "kafka-fleet", "key"), peer)} | ${cell(rate(keys, "kafka-fleet", "partition"), peer)} | ${cell(rate(keys, "kafka-fleet", "unordered"), peer)} | ${cell(peer, undefined)} |`,
    );
  }
  return lines.join("\n");
}

async function writeOrderingReport(
  results: readonly OrderingResult[],
  options: OrderingOptions,
): Promise<void> {
  const dir = `${options.out}/benchmarks`;
  await mkdir(dir, { recursive: true });
  await writeFormatted(
    `${dir}/ordering.json`,
    JSON.stringify({ options: withRepoRelativeOut(options), results }),
    "json",
  );
  await writeFormatted(`${dir}/ordering.md`, orderingMarkdown(results, options), "markdown");
  process.stdout.write(`\n${orderingTable(results, options)}\n\nwrote ${dir}/ordering.{md,json}\n`);
}

/** The report page: the table and how to read it. */
export function orderingMarkdown(results: readonly OrderingResult[], options: OrderingOptions): string {
  const lane = Math.round(1000 / options.delayMs);
  return [
    "# Ordering modes (`npm run bench -- --parts ordering`)",
    "",
    orderingTable(results, options),
    "",
    `How to read it: one lane (a key in \`key\` order, a partition in \`partition\` order) handles at most ${lane} msg/s`,
    `with a ${options.delayMs} ms handler, so key order over 10 keys tops out near ${10 * lane} msg/s, and partition order`,
    `near ${lane} msg/s per partition that holds records (10 keys hash onto at most 6 partitions). Unordered, and key`,
    `order over many keys, are bounded by the cap (${options.maxInFlight} in flight) and the CPU instead. On a loaded`,
    "machine a 5 ms timer fires late, which lowers every lane-bound figure alike; ours and the peer's.",
    "",
  ].join("\n");
}
