// A normal stop is not an incident: SIGTERM to a busy service ends with exit 0 and not one error-level log line,
// so an operator's alert on error logs fires for real failures only.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { createInputTopic, createTestTopic, deleteGroupAfter, uniqueName } from "../../harness/kafka.ts";
import { startService, stopGracefully, waitForAssignment, type Role } from "../../harness/services.ts";

/** pino's levels, as the services log them: error is 50, fatal 60. */
const errorLines = (logs: ReadonlyArray<{ level?: unknown }>) =>
  logs.filter((line) => line.level === "error" || line.level === "fatal" || Number(line.level) >= 50);

describe("a normal SIGTERM", () => {
  for (const role of ["single-consumer", "batch-consumer"] as Role[]) {
    it(`${role}: exit 0 and no error-level log line, in the middle of a stream`, async (t) => {
      const input = await createInputTopic(t, `clean-stop-${role}`);
      const results = await createTestTopic(t, `clean-stop-${role}-results`);
      const group = uniqueName(`clean-stop-${role}`);
      deleteGroupAfter(t, group);
      const producer = startService(t, "producer", { KAFKA_TOPIC: input, PRODUCE_RATE: "2000" });
      const consumer = startService(t, role, {
        KAFKA_TOPIC: input,
        RESULTS_TOPIC: results,
        CONSUMER_GROUP: group,
      });
      await waitForAssignment(consumer);
      // Busy: records are arriving and being processed when the signal comes.
      await consumer.waitForEvent("rebalance.assigned");
      await new Promise((resolve) => setTimeout(resolve, 3000));
      assert.equal(await stopGracefully(consumer), 0, consumer.stderr());
      assert.equal(await stopGracefully(producer), 0, producer.stderr());
      for (const running of [consumer, producer]) {
        assert.deepEqual(errorLines(running.logs), [], "no error-level line");
        assert.equal(running.stderr(), "");
      }
    });
  }
});
