import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { backoffDelayMs } from "@kafka-fleet/processing";

describe("backoffDelayMs", () => {
  it("doubles from the first wait and stops at the cap", () => {
    const rules = { retries: 10, backoffMs: 100, maxBackoffMs: 1000 };
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6].map((attempt) => backoffDelayMs(attempt, rules)),
      [100, 200, 400, 800, 1000, 1000],
    );
  });
});
