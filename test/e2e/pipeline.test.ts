// The whole pipeline with real processes against the real local cluster: the producer process writes a range,
// three batch consumers (one group) and a single consumer (another group) publish one result per value, and
// the results are audited.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { auditValues, readTopicValues } from "@kafka-fleet/audit";

import {
  BOOTSTRAP,
  createInputTopic,
  createTestTopic,
  deleteGroupAfter,
  uniqueName,
} from "../../harness/kafka.ts";
import { eventually } from "../../harness/process.ts";
import {
  committedRecords,
  metricValue,
  metricsOf,
  startService,
  stopGracefully,
  waitForAssignment,
  waitForRecords,
} from "../../harness/services.ts";

const VALUES = 100_000;

describe("the pipeline", () => {
  it("processes every value of a 100k range: 3 batch consumers in one group, a single consumer in another", async (t) => {
    const input = await createInputTopic(t, "pipeline-in");
    const batchResults = await createTestTopic(t, "pipeline-batch-results");
    const singleResults = await createTestTopic(t, "pipeline-single-results");
    const batchGroup = uniqueName("pipeline-batch");
    const singleGroup = uniqueName("pipeline-single");
    deleteGroupAfter(t, batchGroup);
    deleteGroupAfter(t, singleGroup);

    const batchConsumers = [1, 2, 3].map(() =>
      startService(t, "batch-consumer", {
        KAFKA_TOPIC: input,
        RESULTS_TOPIC: batchResults,
        CONSUMER_GROUP: batchGroup,
      }),
    );
    const single = startService(t, "single-consumer", {
      KAFKA_TOPIC: input,
      RESULTS_TOPIC: singleResults,
      CONSUMER_GROUP: singleGroup,
      // The default ORDERING (key): the producer's keyless values run concurrently. Order has its own tests.
    });
    await Promise.all([...batchConsumers, single].map((consumer) => waitForAssignment(consumer)));

    const producer = startService(t, "producer", { KAFKA_TOPIC: input, PRODUCE_TO: String(VALUES) });
    assert.equal((await producer.exited).code, 0, producer.stderr());
    const finished = await producer.waitForEvent("producer.finished");
    assert.equal(finished.acknowledged, VALUES);

    await waitForRecords(batchResults, VALUES);
    await waitForRecords(singleResults, VALUES);
    // A batch's processing time is observed when its commit is answered, which may come after its results.
    await eventually("every batch committed", () =>
      Promise.resolve(
        batchConsumers.reduce((total, consumer) => total + committedRecords(consumer), 0) >= VALUES
          ? true
          : undefined,
      ),
    );

    // Metrics of a finished run: what each process says it did adds up to what the audit finds.
    const batchPages = await Promise.all(batchConsumers.map((consumer) => metricsOf(consumer)));
    const sum = (name: string, labels?: Record<string, string>) =>
      batchPages.reduce((total, page) => total + metricValue(page, name, labels), 0);
    assert.equal(sum("kafka_fleet_messages_processed_total"), VALUES);
    assert.equal(sum("kafka_fleet_batch_size_sum"), VALUES);
    assert.ok(
      sum("kafka_fleet_batch_size_count") >= VALUES / 10,
      "batches hold at most BATCH_SIZE=10 records",
    );
    assert.equal(sum("kafka_fleet_end_to_end_latency_seconds_count"), VALUES);
    assert.ok(sum("kafka_fleet_commits_total", { result: "ok" }) > 0);
    assert.ok(sum("kafka_fleet_rebalances_total", { kind: "assigned" }) >= 3);
    // Every batch is timed once, by the member that processed it. A member may own only partitions that got no
    // records (the producer writes no keys, and librdkafka's sticky partitioner fills a few partitions at a time),
    // so it is the sums that must match; each member still reports the lag of what it owns.
    assert.equal(sum("kafka_fleet_batch_processing_seconds_count"), sum("kafka_fleet_batch_size_count"));
    for (const page of batchPages) {
      assert.equal(
        metricValue(page, "kafka_fleet_batch_processing_seconds_count") > 0,
        metricValue(page, "kafka_fleet_messages_processed_total") > 0,
      );
      assert.match(page, /^kafka_fleet_consumer_lag\{topic="[^"]+",partition="\d"/m);
    }
    const singlePage = await metricsOf(single);
    assert.equal(metricValue(singlePage, "kafka_fleet_messages_processed_total"), VALUES);
    assert.equal(metricValue(singlePage, "kafka_fleet_messages_consumed_total"), VALUES);

    for (const consumer of [...batchConsumers, single]) {
      assert.equal(await stopGracefully(consumer), 0, consumer.stderr());
    }

    for (const results of [batchResults, singleResults]) {
      const { values } = await readTopicValues({ bootstrapServers: BOOTSTRAP, topic: results });
      const report = auditValues({ from: 0n, to: BigInt(VALUES) }, values);
      assert.equal(report.missing, 0, `${results} misses ${report.missingSample.join(",")}`);
      assert.equal(report.duplicates, 0, `${results} repeats ${report.duplicateSample.join(",")}`);
    }
  });

  it("reports the producer's acknowledged writes on /metrics and flushes them on SIGTERM", async (t) => {
    const input = await createInputTopic(t, "producer-metrics");
    const producer = startService(t, "producer", {
      KAFKA_TOPIC: input,
      PRODUCE_RATE: "2000",
      PROGRESS_INTERVAL_MS: "500",
    });
    await producer.waitForEvent("producer.progress", 30_000, (line) => Number(line.acknowledged) >= 2000);
    const page = await metricsOf(producer);
    assert.ok(metricValue(page, "kafka_fleet_messages_produced_total") >= 2000);
    assert.equal(metricValue(page, "kafka_fleet_delivery_failures_total"), 0);
    assert.match(page, /^process_cpu_seconds_total\{service="producer"\}/m);

    assert.equal(await stopGracefully(producer), 0, producer.stderr());
    const finished = await producer.waitForEvent("producer.finished");
    assert.equal(finished.unacknowledged, 0);
    const { values } = await readTopicValues({ bootstrapServers: BOOTSTRAP, topic: input });
    assert.equal(values.length, finished.acknowledged, "every acknowledged value is in the topic, once");
    const report = auditValues({ from: 0n, to: BigInt(String(finished.next)) }, values);
    assert.equal(report.missing, 0);
  });
});
