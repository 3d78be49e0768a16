import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { ConfigError } from "@kafka-fleet/service";

import { loadSingleConsumerConfig } from "../src/config.ts";

describe("single-consumer configuration", () => {
  it("defaults to key ordering, 1000 in flight and 10000 queued", () => {
    const config = loadSingleConsumerConfig({});
    assert.equal(config.ordering, "key");
    assert.equal(config.maxInFlight, 1000);
    assert.equal(config.maxQueued, 10_000);
    assert.equal(config.groupId, "kafka-fleet-single-consumer");
  });

  it("reads ORDERING and MAX_QUEUED", () => {
    for (const ordering of ["key", "partition", "unordered"] as const) {
      assert.equal(loadSingleConsumerConfig({ ORDERING: ordering }).ordering, ordering);
    }
    assert.equal(loadSingleConsumerConfig({ ORDERING: " Partition " }).ordering, "partition", "as LOG_LEVEL");
    assert.equal(loadSingleConsumerConfig({ MAX_QUEUED: "50" }).maxQueued, 50);
  });

  for (const [variable, value] of [
    ["ORDERING", "keys"],
    ["ORDERING", "per-key"],
    ["MAX_QUEUED", "0"],
    ["MAX_IN_FLIGHT", "many"],
  ] as const) {
    it(`refuses ${variable}=${JSON.stringify(value)}, naming the variable`, () => {
      assert.throws(
        () => loadSingleConsumerConfig({ [variable]: value }),
        (error: unknown) => error instanceof ConfigError && error.message.includes(variable),
      );
    });
  }
});
