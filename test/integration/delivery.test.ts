import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { readTopicValues } from "@kafka-fleet/audit";
import { serializeInt } from "@kafka-fleet/serde";

import { ReportingProducer } from "@kafka-fleet/kafka";

import { BOOTSTRAP, createTestTopic, identity, quietLogger, testProducer } from "../../harness/kafka.ts";
import { startService } from "../../harness/services.ts";

/**
 * Delivery failures against the real cluster: a topic whose max.message.bytes no record fits in makes the
 * broker refuse every write to it (a permanent error, reported at once), while writes elsewhere succeed.
 */
const REFUSES_EVERYTHING = { "max.message.bytes": "10" };

describe("delivery accounting with failure-only reports", () => {
  it("acknowledges what the cluster took, fails what it refused, and tells them apart across drains", async (t) => {
    const good = await createTestTopic(t, "delivery-good", 3);
    const refusing = await createTestTopic(t, "delivery-refusing", 3, REFUSES_EVERYTHING);
    const producer = await testProducer(t);
    const failures: string[] = [];
    producer.onFailure((error) => failures.push(error.code));

    await assert.rejects(producer.send({ topic: refusing, value: serializeInt(1n) }), {
      code: "DELIVERY_FAILED",
    });
    assert.deepEqual(failures, ["DELIVERY_FAILED"]);

    // A drain after the failure: what is sent now is not blamed for it.
    await producer.sendAll([0n, 1n, 2n, 3n].map((value) => ({ topic: good, value: serializeInt(value) })));
    await producer.send({ topic: good, value: serializeInt(4n) });

    // A batch with one refused message in it fails as a whole.
    await assert.rejects(
      producer.sendAll([
        { topic: good, value: serializeInt(5n) },
        { topic: refusing, value: serializeInt(6n) },
      ]),
      { code: "DELIVERY_FAILED" },
    );

    assert.equal(await producer.flush(10_000), 0, "everything decided");
    assert.equal(producer.failed, 2);
    assert.equal(producer.acknowledged, 6);
    const { values } = await readTopicValues({ bootstrapServers: BOOTSTRAP, topic: good });
    assert.deepEqual(
      values.map(Number).sort((a, b) => a - b),
      [0, 1, 2, 3, 4, 5],
    );
  });

  it("with a report per message (consumers' results), fails exactly the groups the cluster refused", async (t) => {
    const good = await createTestTopic(t, "delivery-every-good", 3);
    const refusing = await createTestTopic(t, "delivery-every-refusing", 3, REFUSES_EVERYTHING);
    const producer = await ReportingProducer.connect({
      identity,
      logger: quietLogger,
      connectTimeoutMs: 15_000,
    });
    t.after(() => producer.close(5_000));
    const groups = await Promise.allSettled([
      producer.sendAll([0n, 1n, 2n].map((value) => ({ topic: good, value: serializeInt(value) }))),
      producer.sendAll([
        { topic: good, value: serializeInt(3n) },
        { topic: refusing, value: serializeInt(4n) },
      ]),
      producer.send({ topic: good, value: serializeInt(5n) }),
    ]);
    assert.deepEqual(
      groups.map((group) => group.status),
      ["fulfilled", "rejected", "fulfilled"],
    );
    assert.equal(await producer.flush(10_000), 0);
    assert.equal(producer.failed, 1);
  });

  it("a range the cluster refuses exits 1, counting and logging the failures", async (t) => {
    const refusing = await createTestTopic(t, "range-refusing", 3, REFUSES_EVERYTHING);
    const producer = startService(t, "producer", {
      KAFKA_TOPIC: refusing,
      PRODUCE_FROM: "0",
      PRODUCE_TO: "50",
      PROGRESS_INTERVAL_MS: "100000",
    });
    const { code } = await producer.exited;
    assert.equal(code, 1, producer.stderr());
    const finished = producer.logs.find((line) => line.event === "producer.finished");
    assert.ok(finished, "a producer.finished event");
    assert.equal(finished.sent, 50);
    assert.equal(finished.failed, 50);
    assert.equal(finished.acknowledged, 0);
    assert.equal(finished.unacknowledged, 50);
    const logged = producer.logs.filter((line) => line.event === "producer.delivery_failed");
    assert.ok(logged.length > 0 && logged.length <= 10, `${logged.length} failures logged in full`);
  });
});
