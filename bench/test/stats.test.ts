import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { windowedGrowthPercent } from "../lib/stats.ts";

describe("windowedGrowthPercent", () => {
  it("ignores a short spike that the maximum would report as growth", () => {
    const flat = Array.from({ length: 40 }, () => 100);
    flat[25] = 180;
    flat[26] = 170;
    assert.equal(windowedGrowthPercent(flat), 0);
  });

  it("reports a steady climb as growth of the last quarter over the first", () => {
    const climbing = Array.from({ length: 40 }, (_, i) => 100 + i);
    // First quarter 100..109, last 130..139: nearest-rank medians 104 and 134.
    assert.equal(Math.round(windowedGrowthPercent(climbing) * 100) / 100, 28.85);
  });

  it("is NaN when the series is too short to have quarters", () => {
    assert.ok(Number.isNaN(windowedGrowthPercent([1, 2, 3])));
  });
});
