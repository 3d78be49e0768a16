import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { dueCount, pacingDelayMs } from "../src/pacing.ts";

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

describe("dueCount", () => {
  it("counts the messages whose time has come, at least the one waited for", () => {
    // At 1000 msg/s, messages 0-500 are due at 500 ms.
    assert.equal(dueCount(0, 1000, 500), 501);
    assert.equal(dueCount(400, 1000, 500), 101);
    assert.equal(dueCount(500, 1000, 500), 1);
    assert.equal(dueCount(500, 1000, 499.5), 1, "woken a little early: still the one waited for");
  });

  it("is unbounded at rate 0", () => {
    assert.equal(dueCount(10, 0, 0), Infinity);
  });
});
