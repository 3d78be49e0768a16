// Several topics or a pattern per worker, with real processes against the real local cluster: a worker that lists
// two topics processes both, each partition in order, its dead letters and results beside each topic (the
// {topic} rules) and its lag labelled by topic; a pattern picks up a topic created after the worker started, and a
// pattern that matches the worker's own dead-letter topic stops it rather than loop.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, it } from "node:test";

import { auditValues, readTopicValues } from "@kafka-fleet/audit";

import { defaultTopicSpec, withAdmin } from "../../harness/admin.ts";
import {
  BOOTSTRAP,
  createInputTopic,
  deadLetterTopicConfig,
  deleteGroupAfter,
  deleteTopicAfter,
  identity,
  produceValues,
  testProducer,
  uniqueName,
  type AfterHook,
} from "../../harness/kafka.ts";
import { REPO_ROOT, eventually } from "../../harness/process.ts";
import { resultsInOrder } from "../../harness/ordering.ts";
import {
  metricsOf,
  recordCount,
  startService,
  stopGracefully,
  waitForAssignment,
  waitForRecords,
} from "../../harness/services.ts";

/** Values per topic of the pattern test. */
const VALUES = 2_000;
const run = promisify(execFile);

/** Creates `topic` (one partition unless told), deleted when the test ends. */
async function createNamedTopic(t: AfterHook, topic: string, partitions = 1, dlq = false): Promise<void> {
  deleteTopicAfter(t, topic);
  await withAdmin(identity, (admin) =>
    admin.ensureTopic({
      ...defaultTopicSpec(topic, partitions),
      ...(dlq ? { config: deadLetterTopicConfig() } : {}),
    }),
  );
}

/** An input topic of one partition with its .dlq and its .results, as `make topic` makes them. */
async function createWorkerTopics(t: AfterHook, topic: string): Promise<void> {
  // The outputs first: a pattern's worker checks them as soon as it is assigned the input.
  await createNamedTopic(t, `${topic}.dlq`, 1, true);
  await createNamedTopic(t, `${topic}.results`);
  await createNamedTopic(t, topic);
}

/** Every value of [0, count) once in `results`, in the order they were produced (one partition each side). */
async function assertAllInOrder(results: string, count: number): Promise<void> {
  const { values } = await readTopicValues({ bootstrapServers: BOOTSTRAP, topic: results });
  const report = auditValues({ from: 0n, to: BigInt(count) }, values);
  assert.deepEqual(
    { topic: results, missing: report.missing, duplicates: report.duplicates, outOfRange: report.outOfRange },
    { topic: results, missing: 0, duplicates: 0, outOfRange: 0 },
  );
  const inOrder = await resultsInOrder(results);
  const firstOutOfOrder = inOrder.findIndex((value, index) => index > 0 && value < inOrder[index - 1]!);
  assert.equal(firstOutOfOrder, -1, `${results} is out of order at ${firstOutOfOrder}`);
}

// Sized to the mode: a transaction per batch, and one record at a time per partition, each cost a round trip.
const MODES = [
  { role: "batch-consumer", env: {}, values: 2_000 },
  { role: "batch-consumer", env: { PROCESSING_GUARANTEE: "exactly_once", BATCH_SIZE: "200" }, values: 2_000 },
  { role: "single-consumer", env: { ORDERING: "partition" }, values: 500 },
] as const;

describe("a worker with several topics", () => {
  for (const mode of MODES) {
    const label = `${mode.role}${"PROCESSING_GUARANTEE" in mode.env ? " (exactly_once)" : ""}`;
    it(`${label}: reads both listed topics, each in order, dead letters and results beside each, lag by topic`, async (t) => {
      const [first, second] = [uniqueName("two-a"), uniqueName("two-b")];
      await createWorkerTopics(t, first);
      await createWorkerTopics(t, second);
      const group = uniqueName("two-topics");
      deleteGroupAfter(t, group);

      const producer = await testProducer(t);
      await produceValues(producer, first, 0n, BigInt(mode.values));
      await produceValues(producer, second, 0n, BigInt(mode.values));
      // One record of the second topic does not decode: its dead letter goes to that topic's own .dlq.
      await producer.send({ topic: second, value: Buffer.from("not an int64") });

      const worker = startService(t, mode.role, {
        KAFKA_TOPIC: `${first},${second}`,
        RESULTS_TOPIC: "{topic}.results",
        CONSUMER_GROUP: group,
        ...mode.env,
      });
      const subscribed = await worker.waitForEvent("consumer.subscribed");
      assert.equal(subscribed.topic, `${first},${second}`);
      await waitForRecords(`${first}.results`, mode.values);
      await waitForRecords(`${second}.results`, mode.values);
      await waitForRecords(`${second}.dlq`, 1);

      // librdkafka's statistics come every 5 s: the lag of each topic's partition shows once they have.
      const page = await eventually("lag of both topics", async () => {
        const text = await metricsOf(worker);
        return [first, second].every((topic) =>
          new RegExp(`^kafka_fleet_consumer_lag\\{topic="${topic}",partition="0"`, "m").test(text),
        )
          ? text
          : undefined;
      });
      assert.match(page, /^kafka_fleet_dead_letters_total\{reason="SERDE_WRONG_LENGTH"[^}]*\} 1$/m);
      assert.equal(await stopGracefully(worker), 0, worker.stderr());

      await assertAllInOrder(`${first}.results`, mode.values);
      await assertAllInOrder(`${second}.results`, mode.values);
      // The audit command takes the per-topic results at once, a verdict each.
      const audit = await run(process.execPath, [
        "--import",
        "tsx",
        `${REPO_ROOT}libs/audit/src/cli.ts`,
        ...["--topic", `${first}.results,${second}.results`, "--from", "0", "--to", String(mode.values)],
        ...["--bootstrap", BOOTSTRAP.join(",")],
      ]);
      const lines = audit.stdout
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as { topic: string; ok: boolean; missing: number });
      assert.deepEqual(
        lines.map(({ topic, ok, missing }) => [topic, ok, missing]),
        [
          [`${first}.results`, true, 0],
          [`${second}.results`, true, 0],
        ],
      );
      assert.equal(await recordCount(`${first}.dlq`), 0);
      const dead = worker.logs.filter((line) => line.event === "record.dead_lettered");
      assert.deepEqual(
        dead.map((line) => [line.topic, line.dlq]),
        [[second, `${second}.dlq`]],
      );
    });
  }
});

describe("a worker with a pattern", () => {
  for (const protocol of ["classic", "consumer"] as const) {
    it(`waits while nothing matches, then reads a topic created after it started (GROUP_PROTOCOL=${protocol})`, async (t) => {
      const prefix = uniqueName("pattern");
      const group = uniqueName("pattern-group");
      deleteGroupAfter(t, group);
      const worker = startService(t, "batch-consumer", {
        KAFKA_TOPIC_PATTERN: `^${prefix}-[^.]+$`,
        RESULTS_TOPIC: "{topic}.results",
        CONSUMER_GROUP: group,
        // Under the consumer protocol (KIP-848) the broker matches the pattern; under classic, librdkafka.
        GROUP_PROTOCOL: protocol,
        // librdkafka looks for new matches at each metadata refresh (5 min by default).
        KAFKA_CLIENT_TOPIC_METADATA_REFRESH_INTERVAL_MS: "1000",
      });
      const unmatched = await worker.waitForEvent("consumer.pattern_unmatched");
      assert.equal(unmatched.pattern, `^${prefix}-[^.]+$`);
      const subscribed = await worker.waitForEvent("consumer.subscribed");
      assert.equal(subscribed.topic, `^${prefix}-[^.]+$`);

      const late = `${prefix}-late`;
      await createWorkerTopics(t, late);
      const producer = await testProducer(t);
      await produceValues(producer, late, 0n, BigInt(VALUES));
      await waitForAssignment(worker);
      await waitForRecords(`${late}.results`, VALUES);
      assert.equal(await stopGracefully(worker), 0, worker.stderr());

      await assertAllInOrder(`${late}.results`, VALUES);
      const assigned = worker.logs.filter(
        (line) => line.event === "rebalance.assigned" && Number(line.owned) > 0,
      );
      assert.match(
        String(assigned[0]?.partitions),
        new RegExp(`^${late}\\[0\\]$`),
        "the .dlq and .results are not read",
      );
    });
  }

  it("stops (exit 1, one line naming it) rather than read its own dead-letter topic that the pattern matches", async (t) => {
    const input = await createInputTopic(t, "pattern-loop", 1);
    const group = uniqueName("pattern-loop");
    deleteGroupAfter(t, group);
    const producer = await testProducer(t);
    await produceValues(producer, input, 0n, 10n);
    const worker = startService(t, "batch-consumer", {
      // Matches the input and its .dlq: each dead letter would be read back and dead-lettered again.
      KAFKA_TOPIC_PATTERN: `^${input}.*`,
      CONSUMER_GROUP: group,
    });
    const exited = await worker.exited;
    assert.equal(exited.code, 1, worker.stderr());
    const failed = await worker.waitForEvent("service.failed");
    assert.match(
      String(failed.message ?? failed.msg),
      new RegExp(`KAFKA_TOPIC_PATTERN matches ${input}\\.dlq, a name of the worker's own DLQ_TOPIC`),
    );
    assert.equal(
      worker.logs.filter((line) => line.event === "batch.committed").length,
      0,
      "no record was processed",
    );
  });

  it("refuses KAFKA_TOPIC and KAFKA_TOPIC_PATTERN together: exit 2, one line", async (t) => {
    for (const role of ["batch-consumer", "single-consumer"] as const) {
      const worker = startService(t, role, { KAFKA_TOPIC: "orders", KAFKA_TOPIC_PATTERN: "^orders-.*" });
      assert.equal((await worker.exited).code, 2);
      assert.equal(
        worker.stderr().trim(),
        `${role}: invalid configuration: KAFKA_TOPIC="orders" and KAFKA_TOPIC_PATTERN="^orders-.*" are both set: ` +
          "a worker reads listed topics or a pattern's, not both; unset one",
      );
    }
  });
});
