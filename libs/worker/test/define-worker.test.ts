import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { ConfigError } from "@kafka-fleet/service";
import { defineWorker, publishValues } from "@kafka-fleet/worker";

describe("defineWorker", () => {
  it("names the service and its default consumer group after the worker", () => {
    const worker = defineWorker({ name: "orders", mode: "batch", handle: publishValues });
    assert.equal(worker.name, "orders");
    const config = worker.loadConfig({ BATCH_SIZE: "50" });
    assert.equal(config.groupId, "kafka-fleet-orders");
    assert.deepEqual(config.batch, { maxSize: 50, maxWaitMs: 1000 });
  });

  it("reads the batch consumer's variables in batch mode and the single consumer's in single mode", () => {
    const single = defineWorker({ name: "one-by-one", mode: "single", handle: publishValues });
    assert.equal(single.loadConfig({ ORDERING: "partition" }).ordering, "partition");
    const batch = defineWorker({ name: "batches", mode: "batch", handle: publishValues });
    assert.throws(() => batch.loadConfig({ BATCH_SIZE: "0" }), ConfigError);
    assert.throws(() => single.loadConfig({ MAX_IN_FLIGHT: "0" }), ConfigError);
  });

  it("refuses a first retry wait longer than the longest one, and a derived dead-letter topic name Kafka would refuse", () => {
    const batch = defineWorker({ name: "batches", mode: "batch", handle: publishValues });
    assert.equal(batch.loadConfig({ RETRY_BACKOFF_MS: "10000" }).retry.backoffMs, 10_000);
    assert.throws(() => batch.loadConfig({ RETRY_BACKOFF_MS: "10001" }), /RETRY_BACKOFF_MS="10001"/);
    const topic = "t".repeat(246);
    assert.equal(batch.loadConfig({ KAFKA_TOPIC: topic, DLQ_TOPIC: "dead" }).dlqTopic, "dead");
    assert.throws(
      () => batch.loadConfig({ KAFKA_TOPIC: topic }),
      (error: unknown) =>
        error instanceof ConfigError &&
        /^DLQ_TOPIC: .* 250 characters, over Kafka's 249: set DLQ_TOPIC$/.test(error.problems[0] ?? ""),
    );
  });

  it("refuses to start without RESULTS_TOPIC when the worker says it writes there", () => {
    const spec = { name: "totals", requiresResultsTopic: true, handle: publishValues };
    for (const worker of [
      defineWorker({ ...spec, mode: "batch" }),
      defineWorker({ ...spec, mode: "single" }),
    ]) {
      assert.equal(worker.loadConfig({ RESULTS_TOPIC: "orders.results" }).resultsTopic, "orders.results");
      assert.throws(
        () => worker.loadConfig({}),
        (error: unknown) =>
          error instanceof ConfigError &&
          error.problems[0] === "RESULTS_TOPIC is required: totals writes its results there",
      );
    }
    const optional = defineWorker({ name: "counts", mode: "batch", handle: publishValues });
    assert.equal(optional.loadConfig({}).resultsTopic, undefined);
  });

  it("refuses a token provider in mode share, which its share consumer could not use, rather than ignore it", () => {
    const provider = () => Promise.resolve({ token: "t", expiresAt: Date.now() + 60_000 });
    const spec = { name: "queue", mode: "share", handle: publishValues } as const;
    assert.equal(defineWorker(spec).loadConfig({}).groupId, "kafka-fleet-queue");
    assert.throws(
      () => defineWorker({ ...spec, oauthBearerProvider: provider }).loadConfig({}),
      (error: unknown) =>
        error instanceof ConfigError &&
        /oauthBearerProvider is not available in mode share/.test(error.problems[0]!),
    );
  });

  it("refuses retries that could wait past max.poll.interval.ms, which would put the member out of its group", () => {
    const batch = defineWorker({ name: "batches", mode: "batch", handle: publishValues });
    // 100 retries from 100 ms: 942.7 s of waits at most, past the default 300 s.
    assert.throws(
      () => batch.loadConfig({ RETRY_MAX: "100" }),
      (error: unknown) =>
        error instanceof ConfigError &&
        /^RETRY_MAX=100 with RETRY_BACKOFF_MS=100: .*942\.7 s.*\(300 s\).*KAFKA_CLIENT_MAX_POLL_INTERVAL_MS$/.test(
          error.problems[0] ?? "",
        ),
    );
    assert.equal(batch.loadConfig({ RETRY_MAX: "30" }).retry.retries, 30);
    assert.equal(
      batch.loadConfig({ RETRY_MAX: "100", KAFKA_CLIENT_MAX_POLL_INTERVAL_MS: "1000000" }).retry.retries,
      100,
    );
    const single = defineWorker({ name: "one-by-one", mode: "single", handle: publishValues });
    assert.throws(
      () =>
        single.loadConfig({
          RETRY_MAX: "5",
          RETRY_BACKOFF_MS: "10000",
          KAFKA_CLIENT_MAX_POLL_INTERVAL_MS: "50000",
        }),
      ConfigError,
    );
  });
});
