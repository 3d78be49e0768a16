import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { z } from "zod";

import { KafkaSettingsError, kafkaEnvShape, toKafkaSettings } from "@kafka-fleet/kafka";

const schema = z.looseObject(kafkaEnvShape);
const secret = (name: string) => /PASSWORD/i.test(name);

/** The settings of `source`, or the problems: what a service's loadConfig would report, variable by variable. */
function read(source: Record<string, string>): ReturnType<typeof toKafkaSettings> | string[] {
  const parsed = schema.safeParse(source);
  if (!parsed.success) {
    return parsed.error.issues.map((issue) => `${String(issue.path[0])}: ${issue.message}`);
  }
  try {
    return toKafkaSettings(parsed.data, secret);
  } catch (error) {
    assert.ok(error instanceof KafkaSettingsError);
    return [...error.problems];
  }
}

describe("the cluster variables", () => {
  it("have the contract's defaults", () => {
    assert.deepEqual(read({}), {
      bootstrapServers: ["localhost:9092", "localhost:9094", "localhost:9096"],
      topic: "topic_app",
      connectTimeoutMs: 15_000,
      clientProperties: {},
    });
  });

  it("read brokers (IPv6 in brackets), a topic, a timeout and KAFKA_CLIENT_* properties", () => {
    assert.deepEqual(
      read({
        KAFKA_BOOTSTRAP_SERVERS: " kafka-1:19092 , [::1]:9092,[fe80::1%eth0]:9094 ",
        KAFKA_TOPIC: "Orders_v2.eu-west",
        KAFKA_CONNECT_TIMEOUT_MS: "2000",
        KAFKA_CLIENT_SASL_MECHANISM: "SCRAM-SHA-512",
        KAFKA_CLIENT_LINGER_MS: "",
      }),
      {
        bootstrapServers: ["kafka-1:19092", "[::1]:9092", "[fe80::1%eth0]:9094"],
        topic: "Orders_v2.eu-west",
        connectTimeoutMs: 2000,
        clientProperties: { "sasl.mechanism": "SCRAM-SHA-512" },
      },
    );
  });

  it("refuses brokers without a port, with port 0 or above 65535, and IPv6 without brackets", () => {
    for (const servers of ["localhost", "localhost:70000", "localhost:9092,localhost:0", "::1:9092"]) {
      const problems = read({ KAFKA_BOOTSTRAP_SERVERS: servers });
      assert.ok(Array.isArray(problems), servers);
      assert.match(
        String(problems[0]),
        /^KAFKA_BOOTSTRAP_SERVERS: expected (host:port|a port from 1 to 65535)/,
        servers,
      );
    }
  });

  for (const [name, why] of [
    ["orders events", "a space"],
    ["orders/eu", "a slash"],
    ["..", "a dot-dot"],
    ["x".repeat(250), "250 characters"],
  ] as const) {
    it(`refuses a topic name with ${why}`, () => {
      const problems = read({ KAFKA_TOPIC: name });
      assert.ok(Array.isArray(problems));
      assert.match(String(problems[0]), /^KAFKA_TOPIC: /);
    });
  }

  it("refuses a connect timeout out of 1000-600000", () => {
    for (const value of ["999", "600001", "soon"]) {
      assert.deepEqual(read({ KAFKA_CONNECT_TIMEOUT_MS: value }), [
        "KAFKA_CONNECT_TIMEOUT_MS: expected an integer from 1000 to 600000",
      ]);
    }
  });

  it("refuse KAFKA_CLIENT_* variables that break a promise, all of them at once", () => {
    assert.deepEqual(read({ KAFKA_CLIENT_ACKS: "1", KAFKA_CLIENT_AUTO_OFFSET_RESET: "latest" }), [
      "KAFKA_CLIENT_ACKS: acks is set by kafka-fleet itself (its delivery promises depend on it)",
      'KAFKA_CLIENT_AUTO_OFFSET_RESET="latest": only earliest: a new group starting elsewhere would skip the records already in the topic',
    ]);
  });
});
