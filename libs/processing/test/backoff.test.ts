import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { backoffDelayMs, longestRetryWaitMs } from "@kafka-fleet/processing";

describe("backoffDelayMs", () => {
  const rules = { retries: 10, backoffMs: 100, maxBackoffMs: 1000 };

  it("doubles from the first wait and stops at the cap (the top of the jitter range)", () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6].map((attempt) => backoffDelayMs(attempt, rules, () => 1)),
      [100, 200, 400, 800, 1000, 1000],
    );
  });

  it("keeps half of each step and draws the other half (equal jitter)", () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6].map((attempt) => backoffDelayMs(attempt, rules, () => 0)),
      [50, 100, 200, 400, 500, 500],
    );
    assert.equal(
      backoffDelayMs(3, rules, () => 0.5),
      300,
    );
  });

  it("stays within [step/2, step) with the default random source", () => {
    for (let i = 0; i < 100; i += 1) {
      const delay = backoffDelayMs(2, rules);
      assert.ok(delay >= 100 && delay < 200, `${delay}`);
    }
  });
});

describe("longestRetryWaitMs", () => {
  it("adds up every step at its top, the cap included", () => {
    assert.equal(longestRetryWaitMs({ retries: 0, backoffMs: 100, maxBackoffMs: 1000 }), 0);
    // 100 + 200 + 400 + 800 + 1000 + 1000
    assert.equal(longestRetryWaitMs({ retries: 6, backoffMs: 100, maxBackoffMs: 1000 }), 3500);
    assert.equal(longestRetryWaitMs({ retries: 100, backoffMs: 100, maxBackoffMs: 10_000 }), 942_700);
  });
});
