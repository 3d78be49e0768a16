// What tracing costs the fleet, off and on, side by side in one run on the local cluster: the producer service
// sending a range unpaced, and the batch consumer processing it into a results topic, each with tracing off (no
// OTEL_* variable: the SDK is never loaded) and on (OTLP over HTTP to a sink in this process that answers every
// export at once, so that the figures are the fleet's own cost, not a trace backend's on the same 2 cores).
// Rounds alternate off and on; the medians and their ratio go to docs/benchmarks/tracing.md.
//
//   node --import tsx bench/tracing-overhead.ts [--values 100000] [--rounds 2] [--no-write]
import { writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import { parseArgs } from "node:util";

import { format } from "prettier";

import type { RunningChild } from "../harness/child.ts";
import {
  REPO_ROOT,
  createInputTopic,
  createTestTopic,
  deleteGroupAfter,
  uniqueName,
} from "../harness/kafka.ts";
import { eventually } from "../harness/process.ts";
import { committedRecords, startService, stopGracefully, waitForRecords } from "../harness/services.ts";

const { values: args } = parseArgs({
  options: {
    values: { type: "string", default: "100000" },
    rounds: { type: "string", default: "2" },
    "no-write": { type: "boolean", default: false },
  },
});
const VALUES = Number(args.values);
const ROUNDS = Number(args.rounds);
const BATCH_SIZE = 500;

/** The tests' after-hooks, run at the end of each measurement. */
class Cleanup {
  readonly #steps: Array<() => Promise<void> | void> = [];
  after(step: () => Promise<void> | void): void {
    this.#steps.push(step);
  }
  async run(): Promise<void> {
    for (const step of this.#steps.reverse()) await step();
    this.#steps.length = 0;
  }
}

/** An OTLP/HTTP receiver that takes everything and keeps count: requests and bytes. */
async function startSink(): Promise<{
  endpoint: string;
  exports: () => { requests: number; bytes: number };
  close: () => void;
}> {
  let requests = 0;
  let bytes = 0;
  const server = createServer((request, response) => {
    request.on("data", (chunk: Buffer) => (bytes += chunk.length));
    request.on("end", () => {
      requests += 1;
      response.writeHead(200, { "content-type": "application/x-protobuf" }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    exports: () => ({ requests, bytes }),
    close: () => server.close(),
  };
}

/** Records per second of a batch consumer's steady state: from its first commit to the one that reached `total`. */
function consumerRate(consumer: RunningChild, total: number): number {
  let committed = 0;
  let first: { at: number; size: number } | undefined;
  for (const line of consumer.logs) {
    if (line.event !== "batch.committed") continue;
    const at = Date.parse(String(line.time));
    committed += Number(line.size);
    first ??= { at, size: Number(line.size) };
    if (committed >= total) return ((committed - first.size) * 1000) / Math.max(1, at - first.at);
  }
  throw new Error(`the consumer committed ${committed} of ${total} records`);
}

interface Round {
  readonly producerRate: number;
  readonly consumerRate: number;
}

async function measure(producerEnv: NodeJS.ProcessEnv, consumerEnv: NodeJS.ProcessEnv): Promise<Round> {
  const cleanup = new Cleanup();
  try {
    const input = await createInputTopic(cleanup, "trace-bench", 6);
    const results = await createTestTopic(cleanup, "trace-bench-results", 6);
    const group = uniqueName("trace-bench");
    deleteGroupAfter(cleanup, group);
    const producer = startService(cleanup, "producer", {
      ...producerEnv,
      KAFKA_TOPIC: input,
      PRODUCE_TO: String(VALUES),
      PRODUCE_RATE: "0",
    });
    const finished = await producer.waitForEvent("producer.finished", 600_000);
    const consumer = startService(cleanup, "batch-consumer", {
      ...consumerEnv,
      KAFKA_TOPIC: input,
      RESULTS_TOPIC: results,
      CONSUMER_GROUP: group,
      BATCH_SIZE: String(BATCH_SIZE),
    });
    await waitForRecords(results, VALUES, 600_000);
    await eventually(
      "every record committed",
      () => Promise.resolve(committedRecords(consumer) >= VALUES ? true : undefined),
      {
        timeoutMs: 120_000,
      },
    );
    const rate = consumerRate(consumer, VALUES);
    await stopGracefully(consumer);
    return { producerRate: Number(finished.ratePerSecond), consumerRate: rate };
  } finally {
    await cleanup.run();
  }
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

const sink = await startSink();
const on = {
  OTEL_EXPORTER_OTLP_ENDPOINT: sink.endpoint,
  // Named: the services' own default name would do, but the sink counts the exports of both alike.
  OTEL_SERVICE_NAME: "bench",
};
// "headers": the input traced (every record with a traceparent), the consumer not: what records with headers
// cost the consumer by themselves (the binding's slower path for them, deploy/binding/README.md).
type Mode = "off" | "on" | "headers";
const ENVIRONMENTS: Record<Mode, [NodeJS.ProcessEnv, NodeJS.ProcessEnv]> = {
  off: [{}, {}],
  on: [on, on],
  headers: [on, {}],
};
const rounds: Record<Mode, Round[]> = { off: [], on: [], headers: [] };
for (let round = 1; round <= ROUNDS; round += 1) {
  // The order turned every round: no mode always runs on a warmer (or busier) machine.
  const modes: Mode[] = ["off", "on", "headers"];
  const order = [...modes.slice((round - 1) % 3), ...modes.slice(0, (round - 1) % 3)];
  for (const mode of order) {
    const result = await measure(...ENVIRONMENTS[mode]);
    rounds[mode].push(result);
    process.stdout.write(
      `round ${round} ${mode}: producer ${Math.round(result.producerRate)}/s, batch consumer ${Math.round(result.consumerRate)}/s\n`,
    );
  }
}
sink.close();

const rate = (mode: Mode, pick: (round: Round) => number) => median(rounds[mode].map(pick));
const row = (name: string, pick: (round: Round) => number, third: string) => {
  const off = rate("off", pick);
  const onRate = rate("on", pick);
  return `| ${name} | ${Math.round(off)} | ${Math.round(onRate)} | ${(onRate / off).toFixed(2)} | ${third} |`;
};
const producerPick = (round: Round) => round.producerRate;
const consumerPick = (round: Round) => round.consumerRate;
const headersOnly = rate("headers", consumerPick);
const exported = sink.exports();
const report = [
  "# Tracing overhead",
  "",
  `Written by \`node --import tsx bench/tracing-overhead.ts\` (${new Date().toISOString().slice(0, 10)}): ${VALUES} int64 values,`,
  `${ROUNDS} rounds of each mode, in turn, medians; batch consumer with \`BATCH_SIZE=${BATCH_SIZE}\` and a`,
  "results topic. Off: no `OTEL_*` variable (the SDK is never loaded, no record gets a header). On:",
  "`OTEL_EXPORTER_OTLP_ENDPOINT` pointing at a sink in the benchmark's process that answers every export at once",
  `(${exported.requests} exports, ${(exported.bytes / 1e6).toFixed(1)} MB in all), the SDK's defaults otherwise`,
  "(every span sampled; a batch span processor that drops spans beyond its queue of 2048).",
  "",
  "| records per second | tracing off | tracing on | on / off | input traced, consumer off |",
  "| --- | --- | --- | --- | --- |",
  row("producer service (unpaced; a span per run of 1000 values)", producerPick, "(as on)"),
  row(
    "batch consumer (a span per batch, per results send, per commit)",
    consumerPick,
    `${Math.round(headersOnly)} (${(headersOnly / rate("off", consumerPick)).toFixed(2)} of off)`,
  ),
  "",
  "The last column is the input with a traceparent on every record and the consumer's tracing off: what records",
  "with headers cost by themselves (the binding's slower path for them, deploy/binding/README.md).",
  "",
].join("\n");
process.stdout.write(`\n${report}`);
// Formatted as `make lint` wants the docs (tables aligned).
if (!args["no-write"])
  await writeFile(`${REPO_ROOT}/docs/benchmarks/tracing.md`, await format(report, { parser: "markdown" }));
