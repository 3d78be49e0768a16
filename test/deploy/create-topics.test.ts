// deploy/compose/create-topics.sh, the Compose init step, run for real against the local cluster. Without Docker the
// apache/kafka image is replaced by the same Kafka tools from the local cluster's jars (KAFKA_BIN).
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";

import {
  BOOTSTRAP,
  createTestTopic,
  deleteTopicAfter,
  describeWithKafkaTools,
  uniqueName,
} from "../../harness/kafka.ts";

import { REPO_ROOT, run, type RunResult } from "./helpers.ts";

interface AfterHook {
  after(fn: () => Promise<void> | void): void;
}

/** A folder with kafka-topics.sh and kafka-broker-api-versions.sh, as in /opt/kafka/bin, on the local jars. */
function kafkaBin(t: AfterHook): string {
  const dir = mkdtempSync(join(tmpdir(), "kafka-bin-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const tools = {
    "kafka-topics.sh": "TopicCommand",
    "kafka-broker-api-versions.sh": "BrokerApiVersionsCommand",
  };
  for (const [script, mainClass] of Object.entries(tools)) {
    const path = join(dir, script);
    writeFileSync(
      path,
      `#!/usr/bin/env bash\nexec java -Xmx128m -XX:TieredStopAtLevel=1 -cp '${REPO_ROOT}/.run/kafka-jars/*' ` +
        `-Dlog4j2.configurationFile=${REPO_ROOT}/deploy/local/log4j2-tools.xml org.apache.kafka.tools.${mainClass} "$@"\n`,
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
    const second = await createTopics(bin, topics);
    assert.equal(second.code, 0, second.stderr);
    assert.doesNotMatch(second.stdout, /Created topic/);
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
