import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { TopicMismatchError } from "../admin.ts";

// As libs/kafka's errors (libs/kafka/test/standalone.test.ts): a stable code and the facts, no hint.
describe("the harness's TopicMismatchError", () => {
  const error = new TopicMismatchError("orders", ["2 partitions, expected 6"]);

  it("TOPIC_MISMATCH: a stable code and the facts, no hint naming a variable or a command", () => {
    assert.equal(error.code, "TOPIC_MISMATCH");
    assert.equal(typeof error.canRetry, "boolean");
    assert.ok(error instanceof Error);
    const own = error.message.replace("(KAFKA_TOPIC)", "");
    assert.doesNotMatch(own, /\bmake\b|cluster\.sh|\bcheck\b|KAFKA_[A-Z_]+|deploy\//, error.message);
  });
});
