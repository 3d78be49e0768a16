// defineWorker({ mode: "share" }) as its own processes against the real cluster: more members than partitions all
// at work, delivery counts seen by the handler, rejected records dead-lettered first, and a graceful stop that
// gives back what it held at once.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { auditValues, forEachRecord, readTopicValues } from "@kafka-fleet/audit";
import type { Message } from "@kafka-fleet/kafka";
import { DeadLetterHeader } from "@kafka-fleet/worker";

import type { LogLine, RunningChild } from "../../harness/child.ts";
import {
  BOOTSTRAP,
  REPO_ROOT,
  cluster,
  createInputTopic,
  createTestTopic,
  produceValues,
  testProducer,
  uniqueName,
} from "../../harness/kafka.ts";
import {
  metricValue,
  metricsOf,
  startService,
  stopGracefully,
  waitForRecords,
} from "../../harness/services.ts";

const shareWorker = { path: `${REPO_ROOT}test/e2e/fixtures/share-worker.ts` };
/** The group's record lock: the broker's longest, so that a record given back before it was released. */
const LOCK_MS = 60_000;

interface Hook {
  after(fn: () => unknown): void;
}

/** Input (with its .dlq), results topic and a share group that reads from the beginning. */
async function setUp(t: Hook, prefix: string, partitions: number, lockMs = LOCK_MS) {
  const input = await createInputTopic(t, prefix, partitions);
  const results = await createTestTopic(t, `${prefix}-results`, partitions);
  const group = uniqueName(prefix);
  await cluster(
    "group-config",
    group,
    `share.auto.offset.reset=earliest,share.record.lock.duration.ms=${lockMs}`,
  );
  const env = { KAFKA_TOPIC: input, RESULTS_TOPIC: results, CONSUMER_GROUP: group, LOG_LEVEL: "info" };
  return { input, results, group, env };
}

const batches = (running: RunningChild): LogLine[] => running.logs.filter((l) => l.event === "fixture.batch");

/** value -> the delivery counts the handler saw it with, over every member's batches. */
function deliveriesByValue(members: readonly RunningChild[]): Map<string, number[]> {
  const seen = new Map<string, number[]>();
  for (const member of members) {
    for (const batch of batches(member)) {
      const values = batch.values as string[];
      const deliveries = batch.deliveries as number[];
      values.forEach((value, i) => seen.set(value, [...(seen.get(value) ?? []), deliveries[i]!]));
    }
  }
  return seen;
}

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe("share worker (defineWorker mode share)", () => {
  it("4 members on 2 partitions with a slow handler: every member processes records, 0 missing", async (t) => {
    const { input, results, env } = await setUp(t, "share-members", 2);
    const members = Array.from({ length: 4 }, () =>
      startService(t, shareWorker, { ...env, HANDLER_DELAY_MS: "20", BATCH_SIZE: "5" }),
    );
    await Promise.all(members.map((m) => m.waitForEvent("share_consumer.running", 60_000)));
    // A stream the members cannot keep up with (4 x 50 records a second at 20 ms each), until every member has
    // processed records: members join over their first heartbeats, and a range written at once could be taken
    // whole by the first ones before the last joined. A consumer group would leave 2 of the 4 idle for ever.
    // One record per producer batch: librdkafka's share consumer acquires whole batches (KIP-1206's strict
    // record limit is not in librdkafka 2.15), so a batch of many would go to one member under one lock.
    const producer = await testProducer(t, { "batch.num.messages": 1 });
    const processedBy = async (m: RunningChild) =>
      metricValue(await metricsOf(m), "kafka_fleet_messages_processed_total");
    let sent = 0n;
    await until(async () => {
      await produceValues(producer, input, sent, sent + 60n);
      sent += 60n;
      return (await Promise.all(members.map(processedBy))).every((count) => count > 0);
    }, "every member to process records");
    await waitForRecords(results, Number(sent));

    const processed = await Promise.all(members.map(processedBy));
    const { values, unreadable } = await readTopicValues({ bootstrapServers: BOOTSTRAP, topic: results });
    const report = auditValues({ from: 0n, to: sent }, values, unreadable);
    assert.equal(report.missing, 0, `missing: ${report.missingSample.join(", ")}`);
    for (const m of members) assert.equal(await stopGracefully(m), 0);
    t.diagnostic(
      `${sent} values; records processed per member: ${processed.join(", ")}; duplicates ${report.duplicates}`,
    );
  });

  it("the batch-consumer with GROUP_TYPE=share: 3 replicas on 2 partitions publish a range, 0 missing", async (t) => {
    const { input, results, env } = await setUp(t, "share-service", 2);
    const replicas = Array.from({ length: 3 }, () =>
      startService(t, "batch-consumer", { ...env, GROUP_TYPE: "share" }),
    );
    const running = await Promise.all(replicas.map((r) => r.waitForEvent("share_consumer.running", 60_000)));
    for (const line of running) assert.equal(line.service, "share-consumer");
    const COUNT = 2000n;
    await produceValues(await testProducer(t, { "batch.num.messages": 50 }), input, 0n, COUNT);
    await waitForRecords(results, Number(COUNT));
    const { values, unreadable } = await readTopicValues({ bootstrapServers: BOOTSTRAP, topic: results });
    const report = auditValues({ from: 0n, to: COUNT }, values, unreadable);
    assert.equal(report.missing, 0, `missing: ${report.missingSample.join(", ")}`);
    const accepted = await Promise.all(
      replicas.map(async (r) =>
        metricValue(await metricsOf(r), "kafka_fleet_share_acknowledgements_total", { type: "ACCEPT" }),
      ),
    );
    assert.equal(
      accepted.reduce((a, b) => a + b, 0),
      Number(COUNT) + report.duplicates,
    );
    for (const r of replicas) assert.equal(await stopGracefully(r), 0);
    t.diagnostic(`accepted per replica: ${accepted.join(", ")}; duplicates ${report.duplicates}`);
  });

  it("a record failing twice is seen with delivery counts 1, 2, 3; unrecoverable and exhausted ones are dead-lettered, then rejected", async (t) => {
    const { input, results, env } = await setUp(t, "share-outcomes", 2);
    const member = startService(t, shareWorker, {
      ...env,
      FAIL_VALUE: "7",
      FAIL_UNTIL_DELIVERY: "3",
      UNRECOVERABLE_VALUE: "11",
      ALWAYS_FAIL_VALUE: "13",
      SHARE_MAX_DELIVERIES: "4",
    });
    await produceValues(await testProducer(t), input, 0n, 20n);
    // Every value but 11 and 13 ends in the results.
    await waitForRecords(results, 18);
    const dead = new Map<string, Message>();
    await until(async () => {
      await forEachRecord({ bootstrapServers: BOOTSTRAP, topic: `${input}.dlq` }, (message) => {
        dead.set(message.value!.readBigInt64BE().toString(), message);
      });
      return dead.size >= 2;
    }, "two dead letters");

    const seen = deliveriesByValue([member]);
    assert.deepEqual(seen.get("7"), [1, 2, 3]);
    assert.deepEqual(seen.get("11"), [1]);
    assert.deepEqual(seen.get("13"), [1, 2, 3, 4]);
    assert.deepEqual([...dead.keys()].sort(), ["11", "13"]);
    const header = (message: Message, name: string) =>
      message.headers
        ?.map((h) => h[name])
        .find((v) => v !== undefined)
        ?.toString();
    assert.equal(header(dead.get("11")!, DeadLetterHeader.errorCode), "FIXTURE_UNUSABLE");
    assert.equal(header(dead.get("13")!, DeadLetterHeader.errorCode), "PROCESSING_FAILED");

    const page = await metricsOf(member);
    assert.equal(metricValue(page, "kafka_fleet_share_acknowledgements_total", { type: "REJECT" }), 2);
    // 7 released twice, 13 three times.
    assert.equal(metricValue(page, "kafka_fleet_share_acknowledgements_total", { type: "RELEASE" }), 5);
    assert.equal(metricValue(page, "kafka_fleet_share_acknowledgements_total", { type: "ACCEPT" }), 18);
    assert.equal(metricValue(page, "kafka_fleet_dead_letters_total"), 2);
    const { values } = await readTopicValues({ bootstrapServers: BOOTSTRAP, topic: results });
    assert.equal(values.filter((v) => v === 7n).length, 1);
    assert.equal(await stopGracefully(member), 0);
  });

  it("a graceful stop finishes what it started and gives back the rest at once: another member takes it, 0 missing", async (t) => {
    const { input, results, env } = await setUp(t, "share-stop", 1);
    const COUNT = 40n;
    await produceValues(await testProducer(t), input, 0n, COUNT);
    const first = startService(t, shareWorker, { ...env, HANDLER_DELAY_MS: "300", BATCH_SIZE: "40" });
    await first.waitForEvent("fixture.batch", 60_000);
    assert.equal(await stopGracefully(first), 0);
    const stoppedAt = Date.now();
    const heldByFirst = new Set((batches(first).flatMap((b) => b.values) as string[]).map(String));

    const second = startService(t, shareWorker, env);
    await waitForRecords(results, Number(COUNT));
    const waited = Date.now() - stoppedAt;
    const { values, unreadable } = await readTopicValues({ bootstrapServers: BOOTSTRAP, topic: results });
    const report = auditValues({ from: 0n, to: COUNT }, values, unreadable);
    assert.equal(report.missing, 0, `missing: ${report.missingSample.join(", ")}`);
    const again = deliveriesByValue([second]);
    const released = [...again.entries()].filter(
      ([value, counts]) => heldByFirst.has(value) && counts[0] === 2,
    );
    assert.ok(released.length > 0, "the second member got records the first held, at their second delivery");
    // Released by the stop, not by the end of their lock.
    assert.ok(waited < LOCK_MS, `the rest came back after ${waited} ms; the lock is ${LOCK_MS} ms`);
    t.diagnostic(
      `first member: ${heldByFirst.size} held; second took ${released.length} of them back at delivery 2 within ${waited} ms`,
    );
    assert.equal(await stopGracefully(second), 0);
  });

  it("a member SIGKILLed mid-batch: what it held comes back at its second delivery, 0 missing, duplicates within what it held", async (t) => {
    // The broker's shortest lock (group.share.min.record.lock.duration.ms). A killed process's connection closes, and
    // the broker then releases what it held without waiting for the lock; a member cut off without a word would
    // hold it until the lock ends. Either way it comes back.
    const lockMs = 15_000;
    const { input, results, env } = await setUp(t, "share-kill", 1, lockMs);
    const COUNT = 60n;
    await produceValues(await testProducer(t, { "batch.num.messages": 5 }), input, 0n, COUNT);
    const victim = startService(t, shareWorker, { ...env, HANDLER_DELAY_MS: "300", BATCH_SIZE: "20" });
    await victim.waitForEvent("fixture.batch", 60_000);
    victim.signal("SIGKILL");
    await victim.exited;
    const killedAt = Date.now();
    const held = new Set((batches(victim).flatMap((b) => b.values) as string[]).map(String));

    const survivor = startService(t, shareWorker, env);
    await waitForRecords(results, Number(COUNT));
    const waited = Date.now() - killedAt;
    const { values, unreadable } = await readTopicValues({ bootstrapServers: BOOTSTRAP, topic: results });
    const report = auditValues({ from: 0n, to: COUNT }, values, unreadable);
    assert.equal(report.missing, 0, `missing: ${report.missingSample.join(", ")}`);
    assert.ok(
      report.duplicates <= held.size,
      `${report.duplicates} duplicates, the killed member held ${held.size}`,
    );
    const again = deliveriesByValue([survivor]);
    for (const value of held)
      assert.deepEqual(again.get(value), [2], `value ${value} delivered a second time`);
    t.diagnostic(
      `killed member held ${held.size}; all back at delivery 2, the range complete ${waited} ms after the kill (lock ${lockMs} ms); duplicates ${report.duplicates}`,
    );
    assert.equal(await stopGracefully(survivor), 0);
  });
});
