import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { Health } from "@kafka-fleet/service";

describe("Health", () => {
  it("is not ready until told so, and says why", () => {
    const health = new Health({ stallAfterMs: 1000 });
    assert.deepEqual(health.readiness(), { ok: false, detail: "starting" });
    health.setReady(true, "member of group g, 0 partitions");
    assert.deepEqual(health.readiness(), { ok: true, detail: "member of group g, 0 partitions" });
  });

  it("is not ready while its poll loop is stalled, and ready again once it beats", () => {
    let now = 0;
    const health = new Health({ stallAfterMs: 1000, now: () => now });
    health.setReady(true, "member of group g, 2 partitions");
    health.expectBeats(true);
    now = 1500;
    assert.deepEqual(health.readiness(), { ok: false, detail: "poll loop stalled for 1500 ms" });
    health.beat();
    assert.deepEqual(health.readiness(), { ok: true, detail: "member of group g, 2 partitions" });
  });

  it("reports a stall only while beats are expected", () => {
    let now = 0;
    const health = new Health({ stallAfterMs: 1000, now: () => now });
    now = 5000;
    assert.equal(health.liveness().ok, true, "idle (nothing assigned) is alive");

    health.expectBeats(true);
    now = 5900;
    assert.equal(health.liveness().ok, true);
    now = 6001;
    assert.deepEqual(health.liveness(), { ok: false, detail: "poll loop stalled for 1001 ms" });

    health.beat();
    assert.equal(health.liveness().ok, true);
    health.expectBeats(false);
    now = 60_000;
    assert.equal(health.liveness().ok, true);
  });
});
