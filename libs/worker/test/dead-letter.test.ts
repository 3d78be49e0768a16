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

  it("keeps the record's own headers before its dlq.* ones, and replaces the dlq.* ones of an earlier dead letter", () => {
    const headers = deadLetterHeaders(
      {
        topic: "orders",
        partition: 1,
        offset: 7,
        timestamp: 5,
        headers: [
          { "trace-id": "4bf92f3577b34da6" },
          { "content-type": Buffer.from("application/json") },
          { [DeadLetterHeader.errorCode]: "OLD_CODE" },
        ],
      },
      { code: "HANDLER_FAILED", message: "rejected" },
      { groupId: "g", failedAt: 9 },
    );
    assert.deepEqual(headers.slice(0, 2), [
      { "trace-id": "4bf92f3577b34da6" },
      { "content-type": Buffer.from("application/json") },
    ]);
    const codes = headers.filter((header) => DeadLetterHeader.errorCode in header);
    assert.deepEqual(codes, [{ [DeadLetterHeader.errorCode]: "HANDLER_FAILED" }]);
    assert.equal(headers.length, 2 + Object.keys(DeadLetterHeader).length);
  });
});
