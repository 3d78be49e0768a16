import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { Health, createHealthMetrics, createOrderingMetrics, createRegistry } from "@kafka-fleet/service";

describe("createHealthMetrics", () => {
  it("exposes /healthz's stall verdict as kafka_fleet_poll_loop_stalled, read at scrape time", async () => {
    let now = 0;
    const health = new Health({ stallAfterMs: 1000, now: () => now });
    const registry = createRegistry("test-service");
    createHealthMetrics(registry, health);
    const stalled = async () => {
      const text = await registry.metrics();
      const match = /^kafka_fleet_poll_loop_stalled\{service="test-service"\} (\d+)$/m.exec(text);
      assert.ok(match, `the gauge is exposed with the service label:\n${text.slice(0, 2000)}`);
      return Number(match[1]);
    };

    now = 5000;
    assert.equal(await stalled(), 0, "idle (nothing assigned) is not a stall");
    health.expectBeats(true);
    now = 5900;
    assert.equal(await stalled(), 0, "silent, but not for longer than allowed");
    now = 6001;
    assert.equal(health.liveness().ok, false);
    assert.equal(await stalled(), 1, "silent past stallAfterMs: stalled, as /healthz says");
    health.beat();
    assert.equal(await stalled(), 0, "a beat clears it");
  });
});

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
