import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { Health, createHealthMetrics, createRegistry } from "@kafka-fleet/service";

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
