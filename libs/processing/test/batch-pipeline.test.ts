import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { BatchPipeline } from "@kafka-fleet/processing";

const at = (partition: number, offset: number) => ({ topic: "t", partition, offset });

describe("BatchPipeline", () => {
  it("hands batches over for commit in the order they started, never past one still processing", () => {
    const pipeline = new BatchPipeline<string>();
    const a = pipeline.start([at(0, 10)], "a");
    const b = pipeline.start([at(0, 20), at(1, 5)], "b");
    const c = pipeline.start([at(1, 9)], "c");
    assert.equal(pipeline.uncommitted, 3);

    pipeline.finish(b, true);
    assert.equal(pipeline.takeCommittable(), undefined, "b waits for a");
    pipeline.finish(a, true);
    assert.deepEqual(pipeline.takeCommittable(), { offsets: [at(0, 20), at(1, 5)], batches: ["a", "b"] });
    assert.equal(pipeline.uncommitted, 3, "a and b count until their commit is answered");
    pipeline.commitAnswered(2);
    assert.equal(pipeline.uncommitted, 1);

    pipeline.finish(c, true);
    assert.deepEqual(pipeline.takeCommittable(), { offsets: [at(1, 9)], batches: ["c"] });
    pipeline.commitAnswered(1);
    assert.equal(pipeline.uncommitted, 0);
    assert.equal(pipeline.takeCommittable(), undefined);
  });

  it("stops at a failed batch: neither it nor anything after it is committed", () => {
    const pipeline = new BatchPipeline<string>();
    const a = pipeline.start([at(0, 1)], "a");
    const b = pipeline.start([at(0, 2)], "b");
    const c = pipeline.start([at(0, 3)], "c");
    pipeline.finish(a, true);
    pipeline.finish(b, false);
    pipeline.finish(c, true);
    assert.deepEqual(pipeline.takeCommittable(), { offsets: [at(0, 1)], batches: ["a"] });
    assert.equal(pipeline.takeCommittable(), "failed");
    assert.equal(pipeline.takeCommittable(), "failed");
  });
});
