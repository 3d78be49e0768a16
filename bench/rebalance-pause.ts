// The rebalance pause of each group protocol, side by side in one run: batch consumers scaled 1 → 3 → 1 under a
// paced load, for GROUP_PROTOCOL=classic (cooperative-sticky) and GROUP_PROTOCOL=consumer (KIP-848). The pause of
// a scale step is the longest time any partition went without a commit after it (in steady state a partition
// commits every BATCH_SIZE / (rate / 6) seconds). Writes docs/benchmarks/rebalance.md.
// Valid only while the consumers keep up: a lagging consumer drains its partitions' backlogs one after another,
// and the gaps then measure the backlog, not the rebalance (the steady row is there to show which it is).
//
//   node --import tsx bench/rebalance-pause.ts [--rounds 2] [--rate 3000] [--seconds 40] [--no-write]
import { writeFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";

import type { RunningChild } from "../harness/child.ts";
import {
  REPO_ROOT,
  createInputTopic,
  createTestTopic,
  deleteGroupAfter,
  uniqueName,
} from "../harness/kafka.ts";
import { startService, stopGracefully, waitForAssignment, waitForRecords } from "../harness/services.ts";

const { values: args } = parseArgs({
  options: {
    rounds: { type: "string", default: "2" },
    rate: { type: "string", default: "3000" },
    seconds: { type: "string", default: "40" },
    "no-write": { type: "boolean", default: false },
  },
});
const rounds = Number(args.rounds);
const rate = Number(args.rate);
const seconds = Number(args.seconds);
const BATCH_SIZE = 100;

/** Commit times per partition, from every consumer's batch.committed events ("offsets": "p:o,p:o"). */
function commitTimes(consumers: readonly RunningChild[]): Map<number, number[]> {
  const times = new Map<number, number[]>();
  for (const consumer of consumers) {
    for (const line of consumer.logs) {
      if (line.event !== "batch.committed" || typeof line.offsets !== "string") continue;
      const at = Date.parse(String(line.time));
      for (const entry of line.offsets.split(",")) {
        const partition = Number(entry.split(":")[0]);
        times.set(partition, [...(times.get(partition) ?? []), at]);
      }
    }
  }
  for (const list of times.values()) list.sort((a, b) => a - b);
  return times;
}

/** The longest commit gap of any partition that overlaps [from, to]. */
function longestGap(times: Map<number, number[]>, from: number, to: number): number {
  let longest = 0;
  for (const list of times.values()) {
    for (let index = 1; index < list.length; index += 1) {
      const [before, after] = [list[index - 1]!, list[index]!];
      if (after >= from && before <= to) longest = Math.max(longest, after - before);
    }
  }
  return longest;
}

async function measure(
  protocol: "classic" | "consumer",
): Promise<{ up: number; down: number; steady: number }> {
  const cleanups: Array<() => Promise<void> | void> = [];
  const t = { after: (fn: () => Promise<void> | void) => void cleanups.push(fn) };
  try {
    const total = rate * seconds;
    const input = await createInputTopic(t, `pause-${protocol}`);
    const results = await createTestTopic(t, `pause-${protocol}-results`);
    const group = uniqueName(`pause-${protocol}`);
    deleteGroupAfter(t, group);
    const env = {
      KAFKA_TOPIC: input,
      RESULTS_TOPIC: results,
      CONSUMER_GROUP: group,
      GROUP_PROTOCOL: protocol,
      BATCH_SIZE: String(BATCH_SIZE),
    };
    const first = startService(t, "batch-consumer", env);
    await waitForAssignment(first);
    startService(t, "producer", {
      KAFKA_TOPIC: input,
      PRODUCE_TO: String(total),
      PRODUCE_RATE: String(rate),
    });
    await sleep((seconds * 1000) / 4);
    const upAt = Date.now();
    const added = [startService(t, "batch-consumer", env), startService(t, "batch-consumer", env)];
    await sleep((seconds * 1000) / 3);
    const downAt = Date.now();
    await Promise.all(added.map((consumer) => stopGracefully(consumer)));
    await waitForRecords(results, total, 300_000);
    const times = commitTimes([first, ...added]);
    // Each step's window runs until the next step (or 15 s), so one long gap is not counted for both.
    return {
      up: longestGap(times, upAt, downAt - 1),
      down: longestGap(times, downAt, downAt + 15_000),
      steady: longestGap(times, upAt - 6_000, upAt - 1_000),
    };
  } finally {
    for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
  }
}

const rows: Array<{ protocol: string; round: number; up: number; down: number; steady: number }> = [];
for (let round = 1; round <= rounds; round += 1) {
  // Alternate which protocol goes first: the machine is shared and noisy.
  for (const protocol of round % 2 === 1
    ? (["classic", "consumer"] as const)
    : (["consumer", "classic"] as const)) {
    process.stdout.write(`round ${round}: ${protocol} ...\n`);
    const result = await measure(protocol);
    process.stdout.write(
      `  scale 1→3: ${result.up} ms, 3→1: ${result.down} ms, steady: ${result.steady} ms\n`,
    );
    rows.push({ protocol, round, ...result });
  }
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)] ?? 0;
const summary = (["classic", "consumer"] as const).map((protocol) => {
  const mine = rows.filter((row) => row.protocol === protocol);
  return {
    protocol,
    up: median(mine.map((r) => r.up)),
    down: median(mine.map((r) => r.down)),
    steady: median(mine.map((r) => r.steady)),
  };
});
const [classic, consumer] = summary;
const report = `# Rebalance pause: classic vs consumer group protocol

\`node --import tsx bench/rebalance-pause.ts --rounds ${rounds} --rate ${rate} --seconds ${seconds}\`, ${new Date().toISOString().slice(0, 10)}:
batch consumers scaled 1 → 3 → 1 (SIGTERM) while a producer writes ${rate} msg/s into 6 partitions, BATCH_SIZE
${BATCH_SIZE}. The pause is the longest time any partition went without a commit after the step (until the next step, or for 15 s); the
steady row is the same measure before the step (the floor). Median of ${rounds} rounds, protocols alternating.

| protocol | scale 1 → 3 (ms) | scale 3 → 1 (ms) | steady (ms) |
| --- | ---: | ---: | ---: |
${summary.map((row) => `| ${row.protocol} | ${row.up} | ${row.down} | ${row.steady} |`).join("\n")}

Every round: ${rows.map((row) => `${row.protocol} ${row.up}/${row.down}/${row.steady}`).join(", ")} (up/down/steady, ms).

Ratio consumer/classic: scale-up ${((consumer?.up ?? 0) / Math.max(1, classic?.up ?? 1)).toFixed(2)}×, scale-down ${((consumer?.down ?? 0) / Math.max(1, classic?.down ?? 1)).toFixed(2)}×.
`;
process.stdout.write(`\n${report}`);
if (!args["no-write"]) await writeFile(`${REPO_ROOT}docs/benchmarks/rebalance.md`, report);
