// A rolling update of 3 batch-consumer pods at ~1,000 msg/s, without and with static membership, measured on
// the single-node cluster: rebalances of the group, the longest pause of any partition, duplicates, missing.
// Run by hand (it prints a Markdown table for docs/reliability.md and the chart's README):
//
//   bash deploy/k8s/with-cluster.sh node --import tsx test/k8s/measure-rollout.ts
//
// Rebalances are the group generations its coordinator completed ("Stabilized group ... generation N" in the
// brokers' logs) from the update's start to the end of the range. A partition's pause is the longest time
// between two of its values being processed (the results' record timestamps), for gaps that end between the
// update's start and a minute after its last pod was Ready; the longest such gap before the update is the
// baseline (batches wait up to BATCH_MAX_WAIT_MS).
import {
  kubectl,
  kubectlOk,
  installChart,
  produceRange,
  waitForAcknowledged,
  waitForJob,
  inCluster,
} from "./kube.ts";
import { auditWhenComplete, BATCH_CONSUMER, readyBatchConsumers } from "./kube.ts";
import { eventually } from "../../harness/process.ts";

const RATE = 1000;
const VALUES = 120_000;
const STARTS_AT = 20_000;

interface Pauses {
  partitions: Record<string, { longestGapMs: number; longestGapBeforeMs: number }>;
  longestDelayMs: number;
  values: number;
}

async function rebalances(group: string, sinceIso: string): Promise<number[]> {
  const generations = new Set<number>();
  for (const broker of [0, 1, 2]) {
    const { stdout } = await kubectl(
      ["logs", `fleet-kafka-fleet-kafka-${broker}`, `--since-time=${sinceIso}`],
      60_000,
    );
    for (const match of stdout.matchAll(new RegExp(`Stabilized group ${group} generation (\\d+)`, "g")))
      generations.add(Number(match[1]));
  }
  return [...generations].sort((a, b) => a - b);
}

async function measure(staticMembership: boolean, from: number): Promise<string> {
  const group = `kafka-fleet-batch-consumer-${staticMembership ? "static" : "dynamic"}`;
  const kind = staticMembership ? "statefulset" : "deployment";
  await installChart("test/k8s/values.yaml", [
    `staticMembership.enabled=${staticMembership}`,
    "batchConsumer.replicas=3",
    `batchConsumer.env.CONSUMER_GROUP=${group}`,
  ]);
  await eventually(
    "3 batch consumers Ready",
    async () => ((await readyBatchConsumers()).length === 3 ? true : undefined),
    { timeoutMs: 300_000 },
  );
  const to = from + VALUES;
  const job = await produceRange(from, to, RATE);
  await waitForAcknowledged(job, STARTS_AT);
  const started = Date.now();
  const startedIso = new Date(started - 1000).toISOString();
  await kubectlOk(["rollout", "restart", `${kind}/${BATCH_CONSUMER}`]);
  await kubectlOk(["rollout", "status", `${kind}/${BATCH_CONSUMER}`, "--timeout=900s"], 920_000);
  const rolledOut = Date.now();
  await waitForJob(job);
  const audit = await auditWhenComplete(from, to);
  const generations = await rebalances(group, startedIso);
  const pauses = await inCluster<Pauses>([
    "pauses",
    String(from),
    String(to),
    String(started),
    String(rolledOut + 60_000),
  ]);
  const gaps = Object.values(pauses.partitions);
  const longest = Math.max(...gaps.map(({ longestGapMs }) => longestGapMs));
  const baseline = Math.max(...gaps.map(({ longestGapBeforeMs }) => longestGapBeforeMs));
  const row = [
    staticMembership
      ? "static (`staticMembership.enabled=true`, StatefulSet)"
      : "dynamic (default, Deployment)",
    VALUES.toLocaleString("en-US"),
    ((rolledOut - started) / 1000).toFixed(0),
    String(generations.length),
    (longest / 1000).toFixed(1),
    (baseline / 1000).toFixed(1),
    (pauses.longestDelayMs / 1000).toFixed(1),
    String(audit.duplicates),
    String(audit.missing),
  ];
  console.error(
    `${group}: generations ${generations.join(",")}; partitions ${JSON.stringify(pauses.partitions)}`,
  );
  return `| ${row.join(" | ")} |`;
}

const rows = [await measure(false, 1_000_000), await measure(true, 2_000_000)];
console.log(
  "| membership | values | rollout (s) | rebalances | longest partition pause (s) | longest gap before (s) | longest delay (s) | duplicates | missing |",
);
console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
for (const row of rows) console.log(row);
