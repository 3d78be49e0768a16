import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";

import {
  DeliveryProducer,
  topicEndOffsets,
  type ClientIdentity,
  type KafkaConsumerClient,
} from "@kafka-fleet/kafka";
import { serializeInt } from "@kafka-fleet/serde";
import { createLogger } from "@kafka-fleet/service";

import { ClusterAdmin, defaultTopicSpec, withAdmin } from "./admin.ts";
import { localClusterAddresses } from "./ports.ts";
import { REPO_ROOT } from "./process.ts";

export { REPO_ROOT };

const run = promisify(execFile);

/** The local cluster's brokers (KAFKA_PORT_BASE, as the scripts read it) and its SASL/SCRAM listeners. */
export const { bootstrap: BOOTSTRAP, sasl: SASL_BOOTSTRAP } = localClusterAddresses(process.env);
export const identity: ClientIdentity = { bootstrapServers: BOOTSTRAP, service: "test" };
/** The password of the local cluster's SCRAM user "fleet" (SCRAM_PASSWORD in deploy/local/cluster.sh). */
export const SCRAM_PASSWORD = "fleet-secret";

/**
 * What takes a service or a tool to the local cluster's SASL/SCRAM listener as user "fleet", through the variables
 * alone. The password is the caller's to add: as it is, from a file (KAFKA_CLIENT_SASL_PASSWORD_FILE), or wrong.
 */
export const SCRAM_CLIENT: Readonly<Record<string, string>> = {
  KAFKA_BOOTSTRAP_SERVERS: SASL_BOOTSTRAP.join(","),
  KAFKA_CLIENT_SECURITY_PROTOCOL: "SASL_PLAINTEXT",
  KAFKA_CLIENT_SASL_MECHANISM: "SCRAM-SHA-512",
  KAFKA_CLIENT_SASL_USERNAME: "fleet",
};
export const quietLogger = createLogger({ service: "test", level: "warn", pretty: false });

export interface AfterHook {
  after(fn: () => Promise<void> | void): void;
}

/** A name no other test (or earlier run) uses, so tests can run in any order. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString("hex")}`;
}

/** An admin client closed when the test ends. */
export function testAdmin(t: AfterHook): ClusterAdmin {
  const admin = new ClusterAdmin(identity);
  t.after(() => admin.close());
  return admin;
}

/** Deletes a topic when the test ends, with an admin client of its own (after-hooks run in any order). */
export function deleteTopicAfter(t: AfterHook, topic: string): void {
  t.after(() => withAdmin(identity, (admin) => admin.deleteTopic(topic)));
}

/** Creates a topic (RF 3, minISR 2) that is deleted when the test ends. */
export async function createTestTopic(
  t: AfterHook,
  prefix: string,
  partitions = 6,
  config?: Record<string, string>,
): Promise<string> {
  const topic = uniqueName(prefix);
  deleteTopicAfter(t, topic);
  await withAdmin(identity, (admin) => admin.ensureTopic({ ...defaultTopicSpec(topic, partitions), config }));
  return topic;
}

/** The brokers' default max.message.bytes (message.max.bytes), the limit of a topic that sets none. */
export const BROKER_MAX_MESSAGE_BYTES = 1_048_588;
/** Room for the dlq.* headers a dead letter adds to its record (docs/design.md, Topics; as the deploy scripts). */
export const DLQ_HEADROOM_BYTES = 65_536;

/** A dead-letter topic's configs: the input topic's, with room for a record at the input's limit plus headers. */
export function deadLetterTopicConfig(inputConfig?: Record<string, string>): Record<string, string> {
  const inputLimit = Number(inputConfig?.["max.message.bytes"] ?? BROKER_MAX_MESSAGE_BYTES);
  return { ...inputConfig, "max.message.bytes": String(inputLimit + DLQ_HEADROOM_BYTES) };
}

/**
 * Creates an input topic and its dead-letter topic (`<input>.dlq`, which consumers require, able to take a record
 * at the input's size limit), both deleted when the test ends. Returns the input topic's name.
 */
export async function createInputTopic(
  t: AfterHook,
  prefix: string,
  partitions = 6,
  config?: Record<string, string>,
): Promise<string> {
  const topic = await createTestTopic(t, prefix, partitions, config);
  const dlq = `${topic}.dlq`;
  deleteTopicAfter(t, dlq);
  await withAdmin(identity, (admin) =>
    admin.ensureTopic({ ...defaultTopicSpec(dlq, partitions), config: deadLetterTopicConfig(config) }),
  );
  return topic;
}

/** Deletes the consumer group when the test ends (it must be empty by then). */
export function deleteGroupAfter(t: AfterHook, groupId: string): void {
  t.after(() =>
    withAdmin(identity, (admin) =>
      // A group that never formed, or still has members after a failed test, is not this hook's problem.
      admin.deleteGroup(groupId).catch(() => undefined),
    ),
  );
}

/** A reliable producer that is closed when the test ends. */
export async function testProducer(
  t: AfterHook,
  config?: Record<string, string | number | boolean>,
): Promise<DeliveryProducer> {
  const producer = await DeliveryProducer.connect({
    identity,
    logger: quietLogger,
    connectTimeoutMs: 15_000,
    config,
  });
  t.after(() => producer.close(5_000));
  return producer;
}

/** Produces the values [from, to) and resolves once every one is acknowledged. */
export async function produceValues(
  producer: DeliveryProducer,
  topic: string,
  from: bigint,
  to: bigint,
): Promise<void> {
  const sends: Promise<void>[] = [];
  for (let value = from; value < to; value += 1n)
    sends.push(producer.send({ topic, value: serializeInt(value) }));
  await Promise.all(sends);
}

/** Runs a verb of the local cluster script (kill N, start N, wait-isr, wait-balanced, ...); a failure carries its output. */
export async function cluster(...args: string[]): Promise<string> {
  try {
    const { stdout } = await run("bash", [`${REPO_ROOT}/deploy/local/cluster.sh`, ...args], {
      timeout: 180_000,
    });
    return stdout;
  } catch (error) {
    const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
    throw new Error(
      `cluster.sh ${args.join(" ")} failed: ${`${stdout}\n${stderr}`.trim().split("\n").slice(-6).join(" | ")}`,
      {
        cause: error,
      },
    );
  }
}

/** Kafka's own TopicCommand --describe: an independent look at a topic's layout and configs. */
export async function describeWithKafkaTools(topic: string): Promise<string> {
  const { stdout } = await run(
    "java",
    [
      "-cp",
      `${REPO_ROOT}/.run/kafka-jars/*`,
      "org.apache.kafka.tools.TopicCommand",
      "--bootstrap-server",
      BOOTSTRAP.join(","),
      "--describe",
      "--topic",
      topic,
    ],
    { timeout: 60_000 },
  );
  return stdout;
}

/** The records a topic holds from offset 0: the sum of its partitions' end offsets. */
export async function topicRecordCount(
  consumer: KafkaConsumerClient,
  topic: string,
  timeoutMs?: number,
): Promise<number> {
  let total = 0;
  for (const end of (await topicEndOffsets(consumer, topic, timeoutMs)).values()) total += end;
  return total;
}
