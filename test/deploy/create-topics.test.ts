// deploy/compose/create-topics.sh, the Compose init step, run for real against the local cluster. Without Docker the
// apache/kafka image is replaced by the same Kafka tools from the local cluster's jars (KAFKA_BIN).
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";

import { defaultTopicSpec, withAdmin } from "../../harness/admin.ts";
import {
  BOOTSTRAP,
  BROKER_MAX_MESSAGE_BYTES,
  DLQ_HEADROOM_BYTES,
  createTestTopic,
  deleteTopicAfter,
  describeWithKafkaTools,
  identity,
  uniqueName,
} from "../../harness/kafka.ts";

import { REPO_ROOT, run, type RunResult } from "./helpers.ts";

interface AfterHook {
  after(fn: () => Promise<void> | void): void;
}

/** A folder with the Kafka tools the script runs, as in /opt/kafka/bin, on the local jars. */
function kafkaBin(t: AfterHook): string {
  const dir = mkdtempSync(join(tmpdir(), "kafka-bin-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const tools = {
    "kafka-topics.sh": "org.apache.kafka.tools.TopicCommand",
    "kafka-broker-api-versions.sh": "org.apache.kafka.tools.BrokerApiVersionsCommand",
    "kafka-configs.sh": "kafka.admin.ConfigCommand",
  };
  for (const [script, mainClass] of Object.entries(tools)) {
    const path = join(dir, script);
    writeFileSync(
      path,
      `#!/usr/bin/env bash\nexec java -Xmx128m -XX:TieredStopAtLevel=1 -cp '${REPO_ROOT}/.run/kafka-jars/*' ` +
        `-Dlog4j2.configurationFile=${REPO_ROOT}/deploy/local/log4j2-tools.xml ${mainClass} "$@"\n`,
    );
    chmodSync(path, 0o755);
  }
  return dir;
}

function createTopics(
  bin: string,
  topics: { input: string; results: string; dlq: string },
): Promise<RunResult> {
  return run("bash", ["deploy/compose/create-topics.sh"], {
    env: {
      KAFKA_BIN: bin,
      KAFKA_BOOTSTRAP_SERVERS: BOOTSTRAP.join(","),
      KAFKA_TOPIC: topics.input,
      RESULTS_TOPIC: topics.results,
      DLQ_TOPIC: topics.dlq,
      INIT_TIMEOUT_S: "60",
    },
    timeoutMs: 180_000,
  });
}

/** The max.message.bytes a topic sets for itself (kafka-topics.sh shows only a topic's own configs). */
function maxMessageBytesOf(description: string): number | undefined {
  const found = /max\.message\.bytes=(\d+)/.exec(description)?.[1];
  return found === undefined ? undefined : Number(found);
}

function layoutOf(description: string) {
  return {
    partitions: Number(/PartitionCount:\s*(\d+)/.exec(description)?.[1]),
    replicationFactor: Number(/ReplicationFactor:\s*(\d+)/.exec(description)?.[1]),
    minInsyncReplicas: Number(/min\.insync\.replicas=(\d+)/.exec(description)?.[1]),
  };
}

describe("create-topics.sh (the init-topics step)", () => {
  it("creates the input, results and DLQ topics with 6 partitions, RF 3, minISR 2, and a second run changes nothing", async (t) => {
    const bin = kafkaBin(t);
    const input = uniqueName("init");
    const topics = { input, results: `${input}.results`, dlq: `${input}.dlq` };
    for (const topic of Object.values(topics)) deleteTopicAfter(t, topic);

    const first = await createTopics(bin, topics);
    assert.equal(first.code, 0, first.stderr);
    for (const topic of Object.values(topics)) {
      assert.deepEqual(layoutOf(await describeWithKafkaTools(topic)), {
        partitions: 6,
        replicationFactor: 3,
        minInsyncReplicas: 2,
      });
    }
    // Room for a record at the input's limit (the broker's default) plus the dlq.* headers.
    assert.equal(
      maxMessageBytesOf(await describeWithKafkaTools(topics.dlq)),
      BROKER_MAX_MESSAGE_BYTES + DLQ_HEADROOM_BYTES,
    );
    const second = await createTopics(bin, topics);
    assert.equal(second.code, 0, second.stderr);
    assert.doesNotMatch(second.stdout, /Created topic/);
    assert.doesNotMatch(second.stdout, /max\.message\.bytes was/);
  });

  it("raises an existing dead-letter topic's max.message.bytes to the input topic's plus room for the headers", async (t) => {
    const bin = kafkaBin(t);
    const input = await createTestTopic(t, "init-room", 6, { "max.message.bytes": "4194304" });
    const topics = { input, results: `${input}.results`, dlq: `${input}.dlq` };
    deleteTopicAfter(t, topics.results);
    deleteTopicAfter(t, topics.dlq);
    // Made earlier with the broker's default limit, as before this check existed.
    await withAdmin(identity, (admin) => admin.ensureTopic(defaultTopicSpec(topics.dlq)));

    const result = await createTopics(bin, topics);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /max\.message\.bytes was 1048588, set to 4259840/);
    assert.equal(maxMessageBytesOf(await describeWithKafkaTools(topics.dlq)), 4_194_304 + DLQ_HEADROOM_BYTES);
  });

  it("fails, naming the topic, when a topic exists with another layout", async (t) => {
    const bin = kafkaBin(t);
    const input = await createTestTopic(t, "init-mismatch", 2);
    const topics = { input, results: `${input}.results`, dlq: `${input}.dlq` };
    deleteTopicAfter(t, topics.results);
    deleteTopicAfter(t, topics.dlq);

    const result = await createTopics(bin, topics);
    assert.equal(result.code, 1);
    assert.match(result.stderr, new RegExp(`topic ${input} exists with another layout`));
    assert.match(result.stderr, /PartitionCount:\s*2/);
  });
});
