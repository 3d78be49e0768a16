import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { createRegistry } from "@kafka-fleet/service";
import { createOrderingMetrics } from "@kafka-fleet/worker/internal";

describe("createOrderingMetrics", () => {
  it("exposes records in flight and waiting, read at scrape time", async () => {
    const registry = createRegistry("test-service");
    const held = { inFlight: 3, queued: 40 };
    createOrderingMetrics(registry, () => held);
    const value = async (name: string) => {
      const match = new RegExp(`^kafka_fleet_${name}\\{service="test-service"\\} (\\d+)$`, "m").exec(
        await registry.metrics(),
      );
      assert.ok(match, `${name} is exposed`);
      return Number(match[1]);
    };
    assert.equal(await value("records_in_flight"), 3);
    assert.equal(await value("records_waiting"), 40);
    held.queued = 0;
    assert.equal(await value("records_waiting"), 0);
  });
});
