import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { ConfigError } from "@kafka-fleet/service";

import { DEFAULT_MAX_UNCOMMITTED, loadBatchConsumerConfig } from "../src/config.ts";

describe("batch-consumer configuration", () => {
  it("defaults to batches of 10 within 1000 ms, its own group, and no results topic", () => {
    const config = loadBatchConsumerConfig({});
    assert.deepEqual(config.batch, { maxSize: 10, maxWaitMs: 1000 });
    assert.equal(config.groupId, "kafka-fleet-batch-consumer");
    assert.equal(config.resultsTopic, undefined);
    assert.deepEqual(config.topics, ["topic_app"]);
    assert.equal(config.maxUncommittedBatches, DEFAULT_MAX_UNCOMMITTED);
  });

  it("reads BATCH_MAX_UNCOMMITTED and refuses values outside 1..1000, naming it", () => {
    assert.equal(loadBatchConsumerConfig({ BATCH_MAX_UNCOMMITTED: "1" }).maxUncommittedBatches, 1);
    for (const bad of ["0", "1001", "two", "1.5"]) {
      assert.throws(
        () => loadBatchConsumerConfig({ BATCH_MAX_UNCOMMITTED: bad }),
        (error: unknown) => error instanceof ConfigError && /BATCH_MAX_UNCOMMITTED/.test(error.message),
        bad,
      );
    }
  });

  it("reads the contract's variables", () => {
    const config = loadBatchConsumerConfig({
      BATCH_SIZE: "500",
      BATCH_MAX_WAIT_MS: "50",
      CONSUMER_GROUP: "g",
      RESULTS_TOPIC: "out",
    });
    assert.deepEqual(config.batch, { maxSize: 500, maxWaitMs: 50 });
    assert.equal(config.groupId, "g");
    assert.equal(config.resultsTopic, "out");
  });

  it("reads GROUP_INSTANCE_ID (static membership), unset by default, and refuses an id Kafka would", () => {
    assert.equal(loadBatchConsumerConfig({}).groupInstanceId, undefined);
    assert.equal(
      loadBatchConsumerConfig({ GROUP_INSTANCE_ID: "fleet-batch-consumer-2" }).groupInstanceId,
      "fleet-batch-consumer-2",
    );
    for (const bad of ["a b", "..", "x".repeat(250)]) {
      assert.throws(
        () => loadBatchConsumerConfig({ GROUP_INSTANCE_ID: bad }),
        (error: unknown) => error instanceof ConfigError && /\bGROUP_INSTANCE_ID=/.test(error.message),
        bad,
      );
    }
  });

  it("refuses KAFKA_CLIENT_GROUP_INSTANCE_ID (one id for every replica), pointing at GROUP_INSTANCE_ID", () => {
    assert.throws(
      () => loadBatchConsumerConfig({ KAFKA_CLIENT_GROUP_INSTANCE_ID: "fleet-1" }),
      (error: unknown) =>
        error instanceof ConfigError &&
        /KAFKA_CLIENT_GROUP_INSTANCE_ID: every replica would get the same id .*GROUP_INSTANCE_ID/.test(
          error.message,
        ),
    );
  });

  it("refuses exactly_once without a results topic, naming both variables", () => {
    assert.throws(
      () => loadBatchConsumerConfig({ PROCESSING_GUARANTEE: "exactly_once" }),
      (error: unknown) => error instanceof ConfigError && /RESULTS_TOPIC/.test(error.message),
    );
  });
});
