// The share-groups lab's measurement: the same slow handler (harness/fixtures/slow-worker.ts) run by more members
// than the topic has partitions, first as a consumer group, then as a share group, under a stream faster than the
// partition count's worth of members can handle. Per kind of group: the members that processed anything, the
// records each one processed, how long the stream took to process, and the audit of the results.
import { setTimeout as sleep } from "node:timers/promises";

import { auditValues, readTopicValues } from "@kafka-fleet/audit";

import type { RunningChild } from "../harness/child.ts";
import {
  BOOTSTRAP,
  REPO_ROOT,
  cluster,
  createInputTopic,
  createTestTopic,
  deleteGroupAfter,
  produceValues,
  testProducer,
  uniqueName,
  type AfterHook,
} from "../harness/kafka.ts";
import { metricValue, metricsOf, startService, stopGracefully, waitForRecords } from "../harness/services.ts";

const slowWorker = { path: `${REPO_ROOT}harness/fixtures/slow-worker.ts` };

export interface GroupRun {
  readonly groupType: "consumer" | "share";
  /** Records each member processed, in the order they were started. */
  readonly processed: readonly number[];
  readonly seconds: number;
  readonly missing: number;
  readonly duplicates: number;
}

export interface ShareGroupsPlan {
  readonly partitions: number;
  readonly members: number;
  /** Per record, one after another in each member. */
  readonly delayMs: number;
  /** The stream: `count` values at `rate` a second. */
  readonly count: number;
  readonly rate: number;
}

/** Until every partition is owned and no member has rebalanced for 3 s: the group's steady assignment. */
async function groupSettled(members: readonly RunningChild[], partitions: number): Promise<void> {
  const deadline = Date.now() + 120_000;
  let seen = "";
  let since = Date.now();
  while (Date.now() < deadline) {
    const owned = members.map((member) => {
      const last = member.logs.findLast(
        (line) => String(line.event).startsWith("rebalance.") && "owned" in line,
      );
      return Number(last?.owned ?? 0);
    });
    const now = owned.join(",");
    if (now !== seen) [seen, since] = [now, Date.now()];
    if (owned.reduce((sum, count) => sum + count, 0) === partitions && Date.now() - since > 3_000) return;
    await sleep(200);
  }
  throw new Error(`the consumer group did not settle: partitions owned per member ${seen}`);
}

export async function runGroup(
  t: AfterHook,
  groupType: "consumer" | "share",
  plan: ShareGroupsPlan,
): Promise<GroupRun> {
  const input = await createInputTopic(t, `lab-${groupType}-group`, plan.partitions);
  const results = await createTestTopic(t, `lab-${groupType}-group-results`, plan.partitions);
  const group = uniqueName(`lab-${groupType}-group`);
  deleteGroupAfter(t, group);
  // A share group starts at the end of the topic unless told otherwise; a lock far longer than a batch's work.
  if (groupType === "share")
    await cluster(
      "group-config",
      group,
      "share.auto.offset.reset=earliest,share.record.lock.duration.ms=30000",
    );
  const members = Array.from({ length: plan.members }, () =>
    startService(t, slowWorker, {
      KAFKA_TOPIC: input,
      RESULTS_TOPIC: results,
      CONSUMER_GROUP: group,
      GROUP_TYPE: groupType,
      HANDLER_DELAY_MS: String(plan.delayMs),
      BATCH_SIZE: "10",
      // One batch at a time in a consumer-group member too, as in a share-group member: a member is one worker.
      BATCH_MAX_UNCOMMITTED: "1",
      LOG_LEVEL: "info",
    }),
  );
  if (groupType === "share") {
    await Promise.all(members.map((member) => member.waitForEvent("share_consumer.running", 120_000)));
  } else {
    await groupSettled(members, plan.partitions);
  }

  // Small producer batches: a share-group member acquires whole batches, so one batch is one member's share.
  const producer = await testProducer(t, { "batch.num.messages": 5, "linger.ms": 5 });
  const started = performance.now();
  const tick = 100;
  const perTick = Math.max(1, Math.round((plan.rate * tick) / 1000));
  for (let sent = 0; sent < plan.count; sent += perTick) {
    await produceValues(producer, input, BigInt(sent), BigInt(Math.min(plan.count, sent + perTick)));
    await sleep(tick);
  }
  await waitForRecords(results, plan.count);
  const seconds = (performance.now() - started) / 1000;

  const processed = await Promise.all(
    members.map(async (member) =>
      metricValue(await metricsOf(member), "kafka_fleet_messages_processed_total"),
    ),
  );
  const codes = await Promise.all(members.map((member) => stopGracefully(member)));
  if (codes.some((code) => code !== 0))
    throw new Error(`a ${groupType}-group member exited ${codes.join(", ")}`);
  const { values, unreadable } = await readTopicValues({ bootstrapServers: BOOTSTRAP, topic: results });
  const report = auditValues({ from: 0n, to: BigInt(plan.count) }, values, unreadable);
  return { groupType, processed, seconds, missing: report.missing, duplicates: report.duplicates };
}
