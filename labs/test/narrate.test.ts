import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { compactPartitions, liveLine } from "../lib/narrate.ts";

describe("the labs' live lines", () => {
  it("group a rebalance's partitions by topic", () => {
    assert.equal(compactPartitions("orders[0],orders[3],orders[1],dlq[2]"), "orders[0,3,1] dlq[2]");
    assert.equal(compactPartitions(""), "nothing");
  });

  it("say who did what, and keep quiet about the rest", () => {
    const line = liveLine(
      {
        event: "rebalance.revoked",
        service: "batch-consumer",
        pid: 42,
        partitions: "t[0],t[1]",
        lost: true,
        owned: 0,
      },
      0,
    );
    assert.match(line ?? "", /batch-consumer#42 +revoked t\[0,1\] \(LOST\): owns 0$/);
    assert.equal(liveLine({ event: "batch.committed", service: "batch-consumer", pid: 42 }, 0), undefined);
  });
});
