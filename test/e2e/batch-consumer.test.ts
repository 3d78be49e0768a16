// The batch consumer's promises, each shown with real processes and real signals: partial batches flush,
// nothing is committed before processing, a graceful stop commits and leaves, scaling loses and repeats nothing.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";

import { auditValues, readTopicValues } from "@kafka-fleet/audit";

import {
  BOOTSTRAP,
  createInputTopic,
  createTestTopic,
  deleteGroupAfter,
  produceValues,
  testAdmin,
  testProducer,
  uniqueName,
} from "../../harness/kafka.ts";
import { eventually } from "../../harness/process.ts";
import {
  CRASH_TEST_SESSION,
  committedRecords,
  metricsOf,
  startService,
  stopGracefully,
  waitForAssignment,
  waitForRecords,
} from "../../harness/services.ts";

const stallingConsumer = {
  path: fileURLToPath(new URL("./fixtures/stalling-batch-consumer.ts", import.meta.url)),
};
const slowConsumer = {
  path: fileURLToPath(new URL("./fixtures/slow-batch-consumer.ts", import.meta.url)),
};

/** Committed offsets of a group, summed over the topic's partitions (= records committed past). */
async function committedTotal(
  admin: ReturnType<typeof testAdmin>,
  group: string,
  topic: string,
  partitions: number,
): Promise<number> {
  const offsets = await admin.committedOffsets(group, topic, partitions);
  return offsets.reduce((total, { offset }) => total + Math.max(0, offset), 0);
}

async function audit(topic: string, to: number) {
  const { values } = await readTopicValues({ bootstrapServers: BOOTSTRAP, topic });
  return auditValues({ from: 0n, to: BigInt(to) }, values);
}

describe("the batch consumer", () => {
  it("processes and commits a partial batch once BATCH_MAX_WAIT_MS has passed", async (t) => {
    const input = await createInputTopic(t, "partial", 1);
    const group = uniqueName("partial");
    deleteGroupAfter(t, group);
    const admin = testAdmin(t);
    await produceValues(await testProducer(t), input, 0n, 7n);

    const consumer = startService(t, "batch-consumer", {
      KAFKA_TOPIC: input,
      CONSUMER_GROUP: group,
      BATCH_SIZE: "10",
      BATCH_MAX_WAIT_MS: "1000",
    });
    const committed = await consumer.waitForEvent("batch.committed");
    assert.equal(committed.size, 7, "the partial batch went out whole");
    assert.equal(committed.offsets, "0:7", "offset after the last record");
    assert.equal(await committedTotal(admin, group, input, 1), 7);
    assert.equal(await stopGracefully(consumer), 0);
  });

  it("reports lag 0 for an owned partition that holds no records and was never committed to", async (t) => {
    const input = await createInputTopic(t, "empty-lag", 1);
    const group = uniqueName("empty-lag");
    deleteGroupAfter(t, group);
    const consumer = startService(t, "batch-consumer", { KAFKA_TOPIC: input, CONSUMER_GROUP: group });
    await waitForAssignment(consumer);
    const lagLine = new RegExp(
      `^kafka_fleet_consumer_lag\\{topic="${input}",partition="0"[^}]*\\} (\\S+)$`,
      "m",
    );
    const lag = await eventually(
      "a lag series for the empty partition",
      async () => lagLine.exec(await metricsOf(consumer))?.[1],
      { failFast: () => assert.equal(consumer.child.exitCode, null, consumer.stderr()) },
    );
    assert.equal(Number(lag), 0);
    assert.equal(await stopGracefully(consumer), 0);
  });

  it("does not commit a batch processed by a consumer killed before its commit: it is processed again", async (t) => {
    const input = await createInputTopic(t, "crash", 1);
    const results = await createTestTopic(t, "crash-results", 1);
    const group = uniqueName("crash");
    deleteGroupAfter(t, group);
    const admin = testAdmin(t);
    await produceValues(await testProducer(t), input, 0n, 10n);
    const env = {
      KAFKA_TOPIC: input,
      RESULTS_TOPIC: results,
      CONSUMER_GROUP: group,
      BATCH_SIZE: "10",
      ...CRASH_TEST_SESSION,
    };

    const doomed = startService(t, stallingConsumer, env);
    const processed = await doomed.waitForEvent("test.batch_processed");
    assert.equal(processed.size, 10);
    doomed.signal("SIGKILL");
    assert.equal((await doomed.exited).signal, "SIGKILL");
    assert.equal(await committedTotal(admin, group, input, 1), 0, "nothing was committed");

    const successor = startService(t, "batch-consumer", env);
    await waitForRecords(results, 20, 90_000);
    assert.equal(await stopGracefully(successor), 0);

    const report = await audit(results, 10);
    assert.equal(report.missing, 0);
    assert.equal(report.duplicates, 10, "the whole uncommitted batch was redelivered, and only it");
    assert.equal(await committedTotal(admin, group, input, 1), 10);
  });

  it("keeps its membership through a handler call longer than max.poll.interval.ms: nothing lost or repeated", async (t) => {
    const input = await createInputTopic(t, "slow", 1);
    const results = await createTestTopic(t, "slow-results", 1);
    const group = uniqueName("slow");
    deleteGroupAfter(t, group);
    await produceValues(await testProducer(t), input, 0n, 50n);
    const consumer = startService(t, slowConsumer, {
      KAFKA_TOPIC: input,
      RESULTS_TOPIC: results,
      CONSUMER_GROUP: group,
      BATCH_SIZE: "10",
      // The pipeline is full while the first call lasts: the loop would have nothing to poll for.
      BATCH_MAX_UNCOMMITTED: "1",
      // librdkafka wants max.poll.interval.ms >= session.timeout.ms, so the session is short too; its heartbeat is a
      // third of it, as Kafka advises. At librdkafka's 3 s, half the session, one refused heartbeat was enough to put
      // the member out of its group: a coordinator that moves (the controller's periodic preferred-leader election,
      // after another test restarted a broker) refuses one, and the next goes out 3 s later, when 6 s have passed
      // since the last answered one.
      KAFKA_CLIENT_SESSION_TIMEOUT_MS: "6000",
      KAFKA_CLIENT_HEARTBEAT_INTERVAL_MS: "2000",
      KAFKA_CLIENT_MAX_POLL_INTERVAL_MS: "7000",
      // Twice the poll interval.
      TEST_SLOW_MS: "14000",
    });
    await consumer.waitForEvent("test.slow_call_ended", 60_000);
    await waitForRecords(results, 50, 120_000);
    assert.equal(await stopGracefully(consumer), 0, consumer.stderr());
    const report = await audit(results, 50);
    // The membership first: a repeat with a rebalance in between is a member put out of its group, a repeat
    // without one is a re-fetch. Either way the consumer's warnings and errors go with the failure.
    const warnings = consumer.logs
      .filter((line) => line.level === "warn" || line.level === "error")
      .map((line) => JSON.stringify(line).slice(0, 300));
    const rebalances = consumer.logs.filter((line) => line.event?.startsWith("rebalance.") === true);
    assert.deepEqual(
      rebalances.map((line) => line.event),
      ["rebalance.assigned", "rebalance.revoked"],
      `assigned once, revoked once (by the stop); warnings: ${warnings.join(" | ")}`,
    );
    assert.equal(report.missing, 0);
    assert.equal(
      report.duplicates,
      0,
      `nothing processed twice (repeated ${report.duplicateSample.join(",")}); warnings: ${warnings.join(" | ")}`,
    );
  });

  it("on SIGTERM mid-stream commits what it processed, leaves the group and exits 0", async (t) => {
    const input = await createInputTopic(t, "sigterm");
    const results = await createTestTopic(t, "sigterm-results");
    const group = uniqueName("sigterm");
    deleteGroupAfter(t, group);
    const admin = testAdmin(t);
    await produceValues(await testProducer(t), input, 0n, 20_000n);

    const consumer = startService(t, "batch-consumer", {
      KAFKA_TOPIC: input,
      RESULTS_TOPIC: results,
      CONSUMER_GROUP: group,
    });
    // 50 batches of 10 committed, most of the stream still to come.
    await consumer.waitForEvent("batch.committed", 60_000, () => committedRecords(consumer) >= 50 * 10);
    assert.equal(await stopGracefully(consumer), 0, consumer.stderr());

    const group_ = await admin.describeGroup(group);
    assert.equal(group_?.members.length, 0, "the consumer left the group");
    const committed = await committedTotal(admin, group, input, 6);
    const report = await audit(results, 20_000);
    assert.ok(committed > 0 && committed < 20_000, `stopped mid-stream (committed ${committed})`);
    assert.equal(report.duplicates, 0);
    assert.equal(report.seen, committed, "committed exactly what was processed, no more, no less");
  });

  // Both group protocols: the classic one (cooperative-sticky, client-side) and KIP-848's (broker-side).
  for (const protocol of ["classic", "consumer"]) {
    it(`scales 1 → 3 → 1 while the producer runs, with nothing missing and nothing repeated (GROUP_PROTOCOL=${protocol})`, async (t) => {
      const input = await createInputTopic(t, "scale");
      const results = await createTestTopic(t, "scale-results");
      const group = uniqueName("scale");
      deleteGroupAfter(t, group);
      const env = {
        KAFKA_TOPIC: input,
        RESULTS_TOPIC: results,
        CONSUMER_GROUP: group,
        GROUP_PROTOCOL: protocol,
      };

      const first = startService(t, "batch-consumer", env);
      await waitForAssignment(first);
      // The producer runs until the test stops it, so both scalings happen under load however long the group
      // takes to rebalance; its range is a ceiling it does not reach at this rate.
      const producer = startService(t, "producer", {
        KAFKA_TOPIC: input,
        PRODUCE_TO: "10000000",
        PRODUCE_RATE: "2500",
      });
      await producer.waitForEvent("producer.started");

      const extra = [startService(t, "batch-consumer", env), startService(t, "batch-consumer", env)];
      // Those expected to be running: the two extras leave the list when the test stops them.
      const running = new Set([first, ...extra, producer]);
      const noneExited = () => {
        const gone = [...running].find((process) => process.child.exitCode !== null);
        if (gone)
          throw new Error(`a process exited early: ${gone.stderr() || JSON.stringify(gone.logs.slice(-3))}`);
      };
      const progress = () =>
        `committed ${[first, ...extra].map((consumer) => committedRecords(consumer)).join(" / ")} records`;
      const until = async (what: string, reached: () => boolean) => {
        try {
          await eventually(what, () => Promise.resolve(reached() ? true : undefined), {
            timeoutMs: 90_000,
            failFast: noneExited,
          });
        } catch (error) {
          throw new Error(`${(error as Error).message}; ${progress()}`, { cause: error });
        }
      };

      // The three of them work together for a while (each has committed batches of its own), then two leave.
      await until("each new consumer committed 20 batches", () =>
        extra.every((consumer) => committedRecords(consumer) >= 20 * 10),
      );
      for (const consumer of extra) {
        running.delete(consumer);
        assert.equal(await stopGracefully(consumer), 0, consumer.stderr());
      }
      const firstBefore = committedRecords(first);
      await until(
        "the remaining consumer committed 20 batches after the others left",
        () => committedRecords(first) >= firstBefore + 20 * 10,
      );

      assert.equal(await stopGracefully(producer), 0, producer.stderr());
      const finished = producer.logs.find((line) => line.event === "producer.finished");
      assert.ok(finished, "a producer.finished event");
      assert.equal(finished.unacknowledged, 0, "every value sent was acknowledged");
      const total = Number(finished.acknowledged);
      assert.equal(Number(finished.resumeFrom), total, "the values 0 .. acknowledged - 1, each acknowledged");

      await waitForRecords(results, total);
      assert.equal(await stopGracefully(first), 0, first.stderr());

      const report = await audit(results, total);
      assert.equal(report.missing, 0, `missing ${report.missingSample.join(",")}`);
      assert.equal(report.duplicates, 0, `repeated ${report.duplicateSample.join(",")}`);
    });
  }
});
