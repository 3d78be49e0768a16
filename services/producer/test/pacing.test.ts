import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { pacingDelayMs } from "../src/pacing.ts";

describe("pacingDelayMs", () => {
  it("does not pace at rate 0", () => {
    assert.equal(pacingDelayMs(1_000_000, 0, 0), 0);
  });

  it("spaces sends to the rate, measured from the start", () => {
    // At 1000 msg/s, message 500 is due at 500 ms.
    assert.equal(pacingDelayMs(500, 1000, 200), 300);
    assert.equal(pacingDelayMs(500, 1000, 500), 0);
  });

  it("catches up after a late wake-up instead of drifting", () => {
    assert.equal(pacingDelayMs(500, 1000, 900), 0);
    assert.equal(pacingDelayMs(950, 1000, 900), 50);
  });
});
