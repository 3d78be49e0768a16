// The local cluster and the Kafka libs against it: replication settings, a produce/read round trip through the
// serde, and no acknowledged write lost while a broker is killed.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { auditValues, readTopicValues } from "@kafka-fleet/audit";
import { serializeInt } from "@kafka-fleet/serde";

import {
  BOOTSTRAP,
  BROKER_MAX_MESSAGE_BYTES,
  DLQ_HEADROOM_BYTES,
  cluster,
  createTestTopic,
  deleteTopicAfter,
  describeWithKafkaTools,
  produceValues,
  testAdmin,
  testProducer,
  uniqueName,
} from "../../harness/kafka.ts";
import { TopicMismatchError, defaultTopicSpec } from "../../harness/admin.ts";

/** Parses "PartitionCount: 6  ReplicationFactor: 3  Configs: min.insync.replicas=2,..." from TopicCommand. */
function layoutOf(description: string) {
  return {
    partitions: Number(/PartitionCount:\s*(\d+)/.exec(description)?.[1]),
    replicationFactor: Number(/ReplicationFactor:\s*(\d+)/.exec(description)?.[1]),
    minInsyncReplicas: Number(/min\.insync\.replicas=(\d+)/.exec(description)?.[1]),
  };
}

describe("the local cluster", () => {
  it("has topic_app with 6 partitions, replication factor 3 and min.insync.replicas 2", async () => {
    assert.deepEqual(layoutOf(await describeWithKafkaTools("topic_app")), {
      partitions: 6,
      replicationFactor: 3,
      minInsyncReplicas: 2,
    });
  });

  it("has topic_app.dlq able to take a record at topic_app's size limit plus the dlq.* headers", async () => {
    const description = await describeWithKafkaTools("topic_app.dlq");
    assert.equal(
      Number(/max\.message\.bytes=(\d+)/.exec(description)?.[1]),
      BROKER_MAX_MESSAGE_BYTES + DLQ_HEADROOM_BYTES,
      description,
    );
  });
});

describe("cluster.sh topics (make topic)", () => {
  it("creates a worker's topic, its results topic and its dead-letter topic with room for the dlq.* headers", async (t) => {
    const name = uniqueName("worker");
    for (const topic of [name, `${name}.dlq`, `${name}.results`]) deleteTopicAfter(t, topic);
    await cluster("topics", name, "2");
    for (const topic of [name, `${name}.results`, `${name}.dlq`]) {
      assert.deepEqual(layoutOf(await describeWithKafkaTools(topic)), {
        partitions: 2,
        replicationFactor: 3,
        minInsyncReplicas: 2,
      });
    }
    const description = await describeWithKafkaTools(`${name}.dlq`);
    assert.equal(
      Number(/max\.message\.bytes=(\d+)/.exec(description)?.[1]),
      BROKER_MAX_MESSAGE_BYTES + DLQ_HEADROOM_BYTES,
      description,
    );
  });
});

describe("ClusterAdmin.ensureTopic", () => {
  it("creates a missing topic with RF 3 and minISR 2, then accepts it as it is", async (t) => {
    const admin = testAdmin(t);
    const topic = uniqueName("ensure");
    deleteTopicAfter(t, topic);
    assert.equal(await admin.ensureTopic(defaultTopicSpec(topic, 4)), true);
    assert.deepEqual(layoutOf(await describeWithKafkaTools(topic)), {
      partitions: 4,
      replicationFactor: 3,
      minInsyncReplicas: 2,
    });
    assert.equal(await admin.ensureTopic(defaultTopicSpec(topic, 4)), false, "second call creates nothing");
  });

  it("reports an existing topic with other settings instead of accepting it", async (t) => {
    const admin = testAdmin(t);
    const topic = await createTestTopic(t, "mismatch", 2);
    await assert.rejects(admin.ensureTopic(defaultTopicSpec(topic, 6)), (error: unknown) => {
      assert.ok(error instanceof TopicMismatchError);
      assert.equal(error.code, "TOPIC_MISMATCH");
      assert.match(error.message, /2 partitions, expected 6/);
      return true;
    });
  });
});

describe("producing with acks=all", () => {
  it("reads back, through the serde, exactly the int64 values it acknowledged", async (t) => {
    const topic = await createTestTopic(t, "roundtrip", 3);
    const producer = await testProducer(t);
    const edges = [-(2n ** 63n), -1n, 0n, 1n, 2n ** 53n + 1n, 2n ** 63n - 1n];
    await Promise.all(edges.map((value) => producer.send({ topic, value: serializeInt(value) })));
    const { values, unreadable } = await readTopicValues({ bootstrapServers: BOOTSTRAP, topic });
    assert.equal(unreadable, 0);
    assert.deepEqual(
      [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
      edges,
    );
  });

  it("loses no acknowledged value when a broker is killed, and keeps accepting writes without it", async (t) => {
    const topic = await createTestTopic(t, "broker-kill");
    const producer = await testProducer(t);
    t.after(async () => {
      // Whatever happened, leave the cluster whole for the next test.
      await cluster("start", "2").catch(() => undefined);
      await cluster("wait-balanced", "120").catch(() => undefined);
    });

    await produceValues(producer, topic, 0n, 5_000n);
    await cluster("kill", "2");
    // With min.insync.replicas 2, acks=all writes go on while 2 of 3 replicas remain.
    await produceValues(producer, topic, 5_000n, 10_000n);
    await cluster("start", "2");
    await cluster("wait-isr", "120");
    await produceValues(producer, topic, 10_000n, 12_000n);

    const { values } = await readTopicValues({ bootstrapServers: BOOTSTRAP, topic });
    const report = auditValues({ from: 0n, to: 12_000n }, values);
    assert.equal(report.missing, 0, `missing: ${report.missingSample.join(",")}`);
    assert.equal(report.outOfRange, 0);
  });
});
