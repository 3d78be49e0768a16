import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { OffsetTracker } from "@kafka-fleet/processing";

const at = (offset: number, partition = 0) => ({ topic: "t", partition, offset });

describe("OffsetTracker", () => {
  it("stores offset + 1 when records complete in order", () => {
    const tracker = new OffsetTracker();
    tracker.start(at(0));
    tracker.start(at(1));
    assert.deepEqual(tracker.complete(at(0)), at(1));
    assert.deepEqual(tracker.complete(at(1)), at(2));
    assert.equal(tracker.pendingCount, 0);
  });

  it("holds the stored offset back while an older record is pending", () => {
    const tracker = new OffsetTracker();
    for (const offset of [10, 11, 12]) tracker.start(at(offset));
    assert.equal(tracker.complete(at(12)), undefined);
    assert.equal(tracker.complete(at(11)), undefined);
    assert.deepEqual(tracker.complete(at(10)), at(13), "all three done: store past the highest");
  });

  it("moves up to the oldest pending record when a middle run completes first", () => {
    const tracker = new OffsetTracker();
    for (const offset of [0, 1, 2, 3]) tracker.start(at(offset));
    assert.equal(tracker.complete(at(1)), undefined);
    assert.deepEqual(tracker.complete(at(0)), at(2), "0 and 1 done, 2 pending");
    assert.deepEqual(tracker.complete(at(2)), at(3));
  });

  it("keeps partitions apart", () => {
    const tracker = new OffsetTracker();
    tracker.start(at(0, 0));
    tracker.start(at(0, 1));
    assert.deepEqual(tracker.complete(at(0, 1)), at(1, 1));
    assert.equal(tracker.pendingIn("t", 0), 1);
    assert.equal(tracker.pendingIn("t", 1), 0);
  });

  it("ignores completions it never saw start, and forgets revoked partitions", () => {
    const tracker = new OffsetTracker();
    assert.equal(tracker.complete(at(7)), undefined);
    tracker.start(at(8));
    tracker.forget("t", 0);
    assert.equal(tracker.complete(at(8)), undefined);
    assert.equal(tracker.pendingCount, 0);
  });
});
