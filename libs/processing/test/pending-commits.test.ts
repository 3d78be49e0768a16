import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { PendingCommits } from "@kafka-fleet/processing";

const at = (partition: number, offset: number) => ({ topic: "t", partition, offset });

describe("PendingCommits", () => {
  it("keeps the highest offset per partition and selects by partition", () => {
    const pending = new PendingCommits();
    pending.add([at(0, 10), at(1, 5)]);
    pending.add([at(0, 8), at(0, 20)]);
    assert.deepEqual(
      pending.select(() => true),
      [at(0, 20), at(1, 5)],
    );
    assert.deepEqual(
      pending.select((position) => position.partition === 1),
      [at(1, 5)],
    );
  });

  it("forgets what a commit covered, but not a higher offset added since", () => {
    const pending = new PendingCommits();
    pending.add([at(0, 10), at(1, 5)]);
    const sent = pending.select(() => true);
    pending.add([at(1, 9)]);
    pending.settle(sent);
    assert.deepEqual(
      pending.select(() => true),
      [at(1, 9)],
    );
  });

  it("drops the partitions that are gone and says which", () => {
    const pending = new PendingCommits();
    pending.add([at(0, 1), at(1, 2), at(2, 3)]);
    assert.deepEqual(
      pending.drop((position) => position.partition !== 1),
      [at(0, 1), at(2, 3)],
    );
    assert.equal(pending.size, 1);
  });
});
