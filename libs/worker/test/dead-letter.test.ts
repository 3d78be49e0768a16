import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { DeadLetterHeader } from "@kafka-fleet/worker";
import { deadLetterHeaders } from "@kafka-fleet/worker/internal";

describe("deadLetterHeaders", () => {
  it("says where the record came from, why it failed, who failed it and when", () => {
    const headers = deadLetterHeaders(
      { topic: "topic_app", partition: 3, offset: 42, timestamp: 1_700_000_000_000 },
      { code: "SERDE_WRONG_LENGTH", message: "expected 8 bytes, got 7" },
      { groupId: "kafka-fleet-batch-consumer", failedAt: 1_700_000_000_500 },
    );
    assert.deepEqual(Object.assign({}, ...headers), {
      [DeadLetterHeader.originalTopic]: "topic_app",
      [DeadLetterHeader.originalPartition]: "3",
      [DeadLetterHeader.originalOffset]: "42",
      [DeadLetterHeader.originalTimestamp]: "1700000000000",
      [DeadLetterHeader.errorCode]: "SERDE_WRONG_LENGTH",
      [DeadLetterHeader.errorMessage]: "expected 8 bytes, got 7",
      [DeadLetterHeader.consumerGroup]: "kafka-fleet-batch-consumer",
      [DeadLetterHeader.failedAt]: "1700000000500",
    });
  });

  it("bounds the error message and marks an unknown timestamp", () => {
    const headers = Object.assign(
      {},
      ...deadLetterHeaders(
        { topic: "t", partition: 0, offset: 0 },
        { code: "X", message: "x".repeat(5000) },
        { groupId: "g", failedAt: 0 },
      ),
    ) as Record<string, string>;
    assert.equal(headers[DeadLetterHeader.errorMessage]?.length, 1000);
    assert.equal(headers[DeadLetterHeader.originalTimestamp], "-1");
  });
});
