import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { ConfigError } from "@kafka-fleet/service";

import { batchConsumerService } from "../src/service.ts";

describe("batch-consumer GROUP_TYPE", () => {
  it("is a consumer group by default, and with GROUP_TYPE=consumer", () => {
    for (const env of [{}, { GROUP_TYPE: "" }, { GROUP_TYPE: "consumer" }]) {
      const service = batchConsumerService(env);
      assert.equal(service.name, "batch-consumer");
      assert.equal(
        (service.loadConfig(env) as unknown as { groupId: string }).groupId,
        "kafka-fleet-batch-consumer",
      );
    }
  });

  it("GROUP_TYPE=share runs in a share group of its own name, with the share variables", () => {
    const env = { GROUP_TYPE: "share", SHARE_MAX_DELIVERIES: "3", BATCH_SIZE: "50" };
    const service = batchConsumerService(env);
    assert.equal(service.name, "share-consumer");
    const config = service.loadConfig(env) as unknown as {
      groupId: string;
      maxDeliveries: number;
      maxRecords: number;
    };
    assert.equal(config.groupId, "kafka-fleet-share-consumer");
    assert.equal(config.maxDeliveries, 3);
    assert.equal(config.maxRecords, 50);
  });

  it("refuses another GROUP_TYPE with one line naming it", () => {
    const env = { GROUP_TYPE: "queue" };
    assert.throws(
      () => batchConsumerService(env).loadConfig(env),
      (error: unknown) =>
        error instanceof ConfigError &&
        /GROUP_TYPE="queue": expected one of consumer, share/.test(error.message),
    );
  });
});
