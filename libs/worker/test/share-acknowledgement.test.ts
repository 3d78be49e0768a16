import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { acknowledgementFor } from "../src/share/acknowledgement.ts";

describe("share acknowledgement (outcome -> ACCEPT, RELEASE or REJECT)", () => {
  it("accepts what the handler finished, at any delivery", () => {
    for (const count of [1, 3, 5]) {
      assert.deepEqual(acknowledgementFor("done", count, 5, true), { type: "ACCEPT", deadLetter: false });
    }
  });

  it("releases a failure for another delivery until the last allowed one, then rejects it after a dead letter", () => {
    assert.deepEqual(acknowledgementFor("failed", 1, 3, true), { type: "RELEASE", deadLetter: false });
    assert.deepEqual(acknowledgementFor("failed", 2, 3, true), { type: "RELEASE", deadLetter: false });
    assert.deepEqual(acknowledgementFor("failed", 3, 3, true), { type: "REJECT", deadLetter: true });
    // A count past the worker's limit (the group's was raised meanwhile) is still the last.
    assert.deepEqual(acknowledgementFor("failed", 4, 3, true), { type: "REJECT", deadLetter: true });
  });

  it("rejects an unrecoverable record at its first delivery", () => {
    assert.deepEqual(acknowledgementFor("unrecoverable", 1, 5, true), { type: "REJECT", deadLetter: true });
  });

  it("without a dead-letter topic, rejects without a dead letter", () => {
    assert.deepEqual(acknowledgementFor("unrecoverable", 1, 5, false), { type: "REJECT", deadLetter: false });
    assert.deepEqual(acknowledgementFor("failed", 5, 5, false), { type: "REJECT", deadLetter: false });
  });

  it("releases an infrastructure failure or an interrupted record, even at the last delivery, never dead-lettered", () => {
    for (const outcome of ["transient", "interrupted"] as const) {
      assert.deepEqual(acknowledgementFor(outcome, 1, 5, true), { type: "RELEASE", deadLetter: false });
      assert.deepEqual(acknowledgementFor(outcome, 5, 5, true), { type: "RELEASE", deadLetter: false });
    }
  });

  it("with one delivery allowed, a failure is rejected at once", () => {
    assert.deepEqual(acknowledgementFor("failed", 1, 1, true), { type: "REJECT", deadLetter: true });
  });
});
