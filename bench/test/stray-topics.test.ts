import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { isClusterTopic } from "../lib/kafka.ts";

describe("isClusterTopic", () => {
  it("keeps Kafka's internal topics and the local cluster's own", () => {
    for (const topic of [
      "__consumer_offsets",
      "__transaction_state",
      "topic_app",
      "topic_app.dlq",
      "topic_app.results",
    ])
      assert.equal(isClusterTopic(topic), true, topic);
  });

  it("calls everything else a stray: leftovers of bench, test and probe runs", () => {
    for (const topic of [
      "bench-tp-mx1-abc",
      "order-stop-mx2-def.dlq",
      "probe-1",
      "topic_app2",
      "topic_app.other",
      "_x",
    ])
      assert.equal(isClusterTopic(topic), false, topic);
  });
});
