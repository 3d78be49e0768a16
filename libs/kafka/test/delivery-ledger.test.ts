import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { DeliveryLedger } from "@kafka-fleet/kafka/internal";

function queue(ledger: DeliveryLedger, count: number): { from: number; to: number } {
  const from = ledger.queued;
  for (let i = 0; i < count; i += 1) ledger.queue();
  return { from, to: ledger.queued };
}

describe("DeliveryLedger", () => {
  it("keeps a range pending until a drain that began after it was queued", () => {
    const ledger = new DeliveryLedger();
    const first = queue(ledger, 3);
    const drainStart = ledger.queued;
    const second = queue(ledger, 2);
    assert.equal(ledger.outcome(first.from, first.to), "pending");
    ledger.drained(drainStart);
    assert.equal(ledger.outcome(first.from, first.to), "acknowledged");
    assert.equal(ledger.outcome(second.from, second.to), "pending");
    assert.equal(ledger.acknowledged, 3);
    assert.equal(ledger.decided, 3);
  });

  it("counts a failure against every range it may belong to, and not against decided ones", () => {
    const ledger = new DeliveryLedger();
    const early = queue(ledger, 4);
    ledger.drained(ledger.queued);
    const a = queue(ledger, 2);
    const b = queue(ledger, 2);
    ledger.fail(); // one of a or b: which one is not known
    const c = queue(ledger, 2);
    ledger.drained(ledger.queued);
    assert.equal(ledger.outcome(early.from, early.to), "acknowledged");
    assert.equal(ledger.outcome(a.from, a.to), "failed");
    assert.equal(ledger.outcome(b.from, b.to), "failed");
    assert.equal(ledger.outcome(c.from, c.to), "acknowledged");
    assert.equal(ledger.failed, 1);
    assert.equal(ledger.acknowledged, 9);
  });

  it("merges failures of one drain window and keeps separate windows apart", () => {
    const ledger = new DeliveryLedger();
    const a = queue(ledger, 2);
    ledger.fail();
    ledger.fail();
    ledger.drained(ledger.queued);
    const b = queue(ledger, 2);
    ledger.drained(ledger.queued);
    const c = queue(ledger, 2);
    ledger.fail();
    ledger.drained(ledger.queued);
    assert.equal(ledger.outcome(a.from, a.to), "failed");
    assert.equal(ledger.outcome(b.from, b.to), "acknowledged");
    assert.equal(ledger.outcome(c.from, c.to), "failed");
    assert.equal(ledger.acknowledged, 3);
  });

  it("never decides beyond what was queued, and never moves back", () => {
    const ledger = new DeliveryLedger();
    queue(ledger, 5);
    ledger.drained(10);
    assert.equal(ledger.decided, 5);
    ledger.drained(2);
    assert.equal(ledger.decided, 5);
  });

  it("knows a prefix acknowledged from a drain or a caller's report, never up to a message that may have failed", () => {
    const ledger = new DeliveryLedger();
    queue(ledger, 10);
    assert.equal(ledger.acknowledgedPrefix(), 0, "nothing decided");
    assert.equal(ledger.acknowledgedPrefix(4), 4, "the caller's report");
    assert.equal(ledger.acknowledgedPrefix(99), 10, "never past what was queued");
    ledger.drained(6);
    assert.equal(ledger.acknowledgedPrefix(4), 6, "a drain decided more");
    ledger.fail(); // one of 6..9
    queue(ledger, 5);
    assert.equal(ledger.acknowledgedPrefix(12), 6, "stops where the failure may lie");
    ledger.drained(ledger.queued);
    assert.equal(ledger.acknowledgedPrefix(), 6, "and stays there");
  });
});
