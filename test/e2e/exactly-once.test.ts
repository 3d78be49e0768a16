// PROCESSING_GUARANTEE=exactly_once: a consumer killed after writing a batch's results but before its
// transaction committed leaves nothing visible to read_committed readers; its successor writes the batch once.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";

import { auditValues, forEachRecord, readTopicValues } from "@kafka-fleet/audit";
import { deserializeInt } from "@kafka-fleet/serde";

import {
  BOOTSTRAP,
  createInputTopic,
  createTestTopic,
  deleteGroupAfter,
  produceValues,
  testProducer,
  uniqueName,
} from "../../harness/kafka.ts";
import {
  CRASH_TEST_SESSION,
  metricsOf,
  startService,
  stopGracefully,
  waitForRecords,
} from "../../harness/services.ts";

const stallingConsumer = {
  path: fileURLToPath(new URL("./fixtures/stalling-batch-consumer.ts", import.meta.url)),
};
const rejectingConsumer = {
  path: fileURLToPath(new URL("./fixtures/rejecting-batch-consumer.ts", import.meta.url)),
};
const VALUES = 1000;

describe("exactly-once batches", () => {
  it("show a killed consumer's uncommitted batch to no read_committed reader, and the successor's once", async (t) => {
    const input = await createInputTopic(t, "eos", 1);
    const results = await createTestTopic(t, "eos-results", 1);
    const group = uniqueName("eos");
    deleteGroupAfter(t, group);
    await produceValues(await testProducer(t), input, 0n, BigInt(VALUES));
    const env = {
      KAFKA_TOPIC: input,
      RESULTS_TOPIC: results,
      CONSUMER_GROUP: group,
      BATCH_SIZE: "100",
      PROCESSING_GUARANTEE: "exactly_once",
      ...CRASH_TEST_SESSION,
    };

    const doomed = startService(t, stallingConsumer, env);
    const processed = await doomed.waitForEvent("test.batch_processed", 60_000);
    assert.equal(processed.size, 100);
    doomed.signal("SIGKILL");
    await doomed.exited;

    const successor = startService(t, "batch-consumer", env);
    // A read_committed reader reaches the end only once the dead member's transaction is aborted.
    let committedValues: bigint[] = [];
    for (let attempt = 0; attempt < 60 && committedValues.length < VALUES; attempt += 1) {
      committedValues = (await readTopicValues({ bootstrapServers: BOOTSTRAP, topic: results })).values;
      if (committedValues.length < VALUES) await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    assert.equal(await stopGracefully(successor), 0, successor.stderr());
    assert.ok(
      successor.logs.some((line) => line.event === "batch.committed" && line.transactional === true),
      "batches were committed in transactions",
    );

    const committed = auditValues({ from: 0n, to: BigInt(VALUES) }, committedValues);
    assert.equal(committed.missing, 0, `missing ${committed.missingSample.join(",")}`);
    assert.equal(
      committed.duplicates,
      0,
      `read_committed sees duplicates: ${committed.duplicateSample.join(",")}`,
    );

    // The killed consumer's writes are in the log, aborted: a read_uncommitted reader sees them twice.
    const { values: everything } = await readTopicValues({
      bootstrapServers: BOOTSTRAP,
      topic: results,
      isolation: "read_uncommitted",
    });
    assert.equal(auditValues({ from: 0n, to: BigInt(VALUES) }, everything).duplicates, 100);
  });

  it("dead-letter a record the handler rejects in a transaction of its own, with no crash loop, and report lag from the transactions' offsets", async (t) => {
    const input = await createInputTopic(t, "eos-reject", 1);
    const results = await createTestTopic(t, "eos-reject-results", 1);
    const group = uniqueName("eos-reject");
    deleteGroupAfter(t, group);
    await produceValues(await testProducer(t), input, 0n, BigInt(VALUES));
    const consumer = startService(t, rejectingConsumer, {
      KAFKA_TOPIC: input,
      RESULTS_TOPIC: results,
      CONSUMER_GROUP: group,
      BATCH_SIZE: "100",
      PROCESSING_GUARANTEE: "exactly_once",
      REJECT_VALUE: "437",
    });
    await waitForRecords(`${input}.dlq`, 1, 60_000);
    let committedValues: bigint[] = [];
    for (let attempt = 0; attempt < 60 && committedValues.length < VALUES - 1; attempt += 1) {
      committedValues = (await readTopicValues({ bootstrapServers: BOOTSTRAP, topic: results })).values;
      if (committedValues.length < VALUES - 1) await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    // librdkafka's statistics (every 5 s) must see the offsets committed through the transactions: lag 0.
    let lag: string | undefined;
    for (let attempt = 0; attempt < 30 && lag !== "0"; attempt += 1) {
      const page = await metricsOf(consumer);
      lag = new RegExp(`^kafka_fleet_consumer_lag\\{[^}]*topic="${input}"[^}]*\\} (\\S+)$`, "m").exec(
        page,
      )?.[1];
      if (lag !== "0") await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    assert.equal(lag, "0", "the lag gauge follows the offsets committed in transactions");
    assert.equal(consumer.child.exitCode, null, "the consumer is still running: no crash loop");
    assert.equal(await stopGracefully(consumer), 0, consumer.stderr());

    const audit = auditValues({ from: 0n, to: BigInt(VALUES) }, committedValues);
    assert.deepEqual(audit.missingSample, ["437"], "every value but the rejected one has its result");
    assert.equal(audit.missing, 1);
    assert.equal(audit.duplicates, 0, "read_committed sees no duplicates");
    const letters: bigint[] = [];
    await forEachRecord({ bootstrapServers: BOOTSTRAP, topic: `${input}.dlq` }, (message) =>
      letters.push(deserializeInt(message.value)),
    );
    assert.deepEqual(letters, [437n], "the rejected record, once, in the dead-letter topic");
    assert.ok(
      consumer.logs.some((line) => line.event === "batch.isolating_failure" && line.transactional === true),
      "the failing batch was isolated record by record",
    );
  });
});
