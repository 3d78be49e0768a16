import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { RevocationRelay } from "@kafka-fleet/worker/internal";

describe("RevocationRelay", () => {
  it("answers a revocation before a loop is bound with nothing to hand over, then forwards to the loop", async () => {
    const relay = new RevocationRelay();
    await relay.onRevoke([{ topic: "t", partition: 0 }], false);
    const seen: string[] = [];
    relay.bind({
      onRevoke: (partitions, lost) => {
        seen.push(`${partitions.map(({ partition }) => partition).join(",")}:${lost}`);
        return Promise.resolve();
      },
    });
    await relay.onRevoke([{ topic: "t", partition: 1 }], true);
    assert.deepEqual(seen, ["1:true"]);
  });
});
