// make chaos: every fault-injection scenario at full size against the local cluster, then a table on stdout and
// in docs/reliability.md. Exit 1 if any scenario broke a promise.
//   node --import tsx test/chaos/run.ts [--size full|short] [--only N[,N]] [--no-write]
import { cpus, totalmem } from "node:os";
import { readFile, writeFile } from "node:fs/promises";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";

import { format, resolveConfig } from "prettier";

import { librdkafkaVersion } from "@kafka-fleet/kafka";

import { REPO_ROOT } from "../../harness/kafka.ts";
import { scenarios, type ScenarioResult, type Size } from "../../harness/chaos/scenarios.ts";

const USAGE = "usage: node --import tsx test/chaos/run.ts [--size full|short] [--only N[,N]] [--no-write]";

/** A mistyped flag or value ends the run with one line and exit 2, before any cluster is touched. */
function refuse(reason: string): never {
  process.stderr.write(`chaos: ${reason}\n${USAGE}\n`);
  process.exit(2);
}

function readArgs(): { size: Size; only?: string; "no-write": boolean } {
  try {
    const { values } = parseArgs({
      options: {
        size: { type: "string", default: "full" },
        only: { type: "string" },
        "no-write": { type: "boolean", default: false },
      },
    });
    if (values.size !== "full" && values.size !== "short")
      refuse(`--size must be full or short, got "${values.size}"`);
    return { ...values, size: values.size };
  } catch (error) {
    return refuse(error instanceof Error ? error.message.split("\n")[0]! : String(error));
  }
}

const args = readArgs();
const size = args.size;
const only = args.only?.split(",").map((n) => n.trim());

interface Row extends ScenarioResult {
  readonly name: string;
  readonly seconds: number;
  readonly ok: boolean;
}

const rows: Row[] = [];
for (const scenario of scenarios) {
  if (only !== undefined && !only.some((n) => scenario.name.startsWith(`${n}.`))) continue;
  process.stdout.write(`\n▶ ${scenario.name} ...\n`);
  const cleanups: Array<() => Promise<void> | void> = [];
  const started = performance.now();
  let row: Row;
  try {
    const result = await scenario.run({ after: (fn) => void cleanups.push(fn) }, size);
    row = { name: scenario.name, ...result, seconds: (performance.now() - started) / 1000, ok: true };
  } catch (error) {
    const detail = error instanceof Error ? (error.message.split("\n")[0] ?? "") : String(error);
    row = {
      name: scenario.name,
      values: 0,
      // A failed scenario measured nothing to write down.
      missing: null,
      duplicates: null,
      detail: `FAILED: ${detail}`,
      seconds: (performance.now() - started) / 1000,
      ok: false,
    };
  }
  for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
  rows.push(row);
  process.stdout.write(`${row.ok ? "✔" : "✖"} ${row.name}: ${row.detail} (${row.seconds.toFixed(1)} s)\n`);
}

process.stdout.write(`\n${tableOf(rows.map(rowLine))}\n`);

const machine = `${cpus().length} × ${cpus()[0]?.model ?? "unknown CPU"}, ${Math.round(totalmem() / 2 ** 30)} GiB`;
const DOC = `${REPO_ROOT}docs/reliability.md`;
if (!args["no-write"] && size === "full") {
  // With --only, the scenarios not run keep the figures of their last run.
  const kept = only === undefined ? [] : await previousRows(rows.map((row) => row.name));
  const table = tableOf(
    scenarios.flatMap((scenario) => {
      const line = rows.find((row) => row.name === scenario.name);
      if (line !== undefined) return [rowLine(line)];
      return kept.filter((text) => text.startsWith(`| ${scenario.name} |`));
    }),
  );
  const short = scenarios.filter((scenario) => scenario.short).map((scenario) => scenario.name.split(".")[0]);
  const findings = await readFile(`${REPO_ROOT}test/chaos/findings.md`, "utf8");
  const doc = `# Reliability: fault-injection figures

Written by \`make chaos\` (test/chaos/run.ts) on ${new Date().toISOString().slice(0, 10)}${only === undefined ? "" : ` (scenarios ${only.join(", ")}; the other rows are from earlier runs)`}.
Machine: ${machine}; Node.js ${process.version}; librdkafka ${librdkafkaVersion}; Apache Kafka 4.3.1, 3 local KRaft nodes
(RF 3, min.insync.replicas 2). Every scenario runs real processes with real signals against the real cluster and
ends with an audit of the results topic (read_committed) for the range \`[0, values)\`, once every process has stopped
and again after 5 s, which must agree. Every process must end as the scenario ends it (exit 0 on SIGTERM, or its
SIGKILL). A dash is a figure the scenario does not measure. The assertions (0 missing; duplicates within the
promise) are in harness/chaos/ (scenarios.ts, operations.ts, network.ts, resume.ts); times are reported,
never asserted. A short form of scenarios ${[...new Set(short)].join(", ")} runs in \`make test\` (some through the labs).

${table}

${findings}`;
  // Formatted as `make lint` checks it, so a fresh run leaves the tree clean.
  const style = (await resolveConfig(`${REPO_ROOT}package.json`)) ?? {};
  await writeFile(DOC, await format(doc, { ...style, parser: "markdown" }));
  process.stdout.write("\nwritten to docs/reliability.md\n");
}

function rowLine(row: Row): string {
  return `| ${row.ok ? "" : "✖ "}${row.name} | ${row.values.toLocaleString("en")} | ${row.missing ?? "—"} | ${row.duplicates ?? "—"} | ${row.seconds.toFixed(1)} | ${row.detail} |`;
}

function tableOf(lines: readonly string[]): string {
  return [
    "| scenario | values | missing | duplicates | time (s) | notes |",
    "|---|---:|---:|---:|---:|---|",
    ...lines,
  ].join("\n");
}

/** The table rows of the current docs/reliability.md, unpadded, except those of the scenarios just run. */
async function previousRows(runNow: readonly string[]): Promise<string[]> {
  const text = await readFile(DOC, "utf8").catch(() => "");
  return text
    .split("\n")
    .filter((line) => line.startsWith("| ") && !line.startsWith("| scenario"))
    .map(
      (line) =>
        `| ${line
          .slice(1, -1)
          .split("|")
          .map((cell) => cell.trim())
          .join(" | ")} |`,
    )
    .filter((line) => !runNow.some((name) => line.startsWith(`| ${name} |`)));
}

process.exitCode = rows.every((row) => row.ok) ? 0 : 1;
