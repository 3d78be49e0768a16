import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { readClientProperties } from "@kafka-fleet/kafka";
import {
  clientPropertiesFromVariables,
  clientPropertyName,
  clientPropertyVariable,
} from "@kafka-fleet/kafka/internal";

const secret = (name: string) => /password/i.test(name);

describe("KAFKA_CLIENT_* variables", () => {
  it("become librdkafka properties: prefix dropped, lower case, _ read as .", () => {
    assert.deepEqual(
      clientPropertiesFromVariables({
        KAFKA_CLIENT_SECURITY_PROTOCOL: "SASL_SSL",
        KAFKA_CLIENT_SASL_MECHANISM: "SCRAM-SHA-512",
        KAFKA_CLIENT_SASL_USERNAME: " fleet ",
        OTHER_VARIABLE: "ignored",
      }),
      {
        properties: {
          "security.protocol": "SASL_SSL",
          "sasl.mechanism": "SCRAM-SHA-512",
          "sasl.username": "fleet",
        },
        problems: [],
      },
    );
    assert.equal(clientPropertyName("KAFKA_CLIENT_SSL_CA_LOCATION"), "ssl.ca.location");
    assert.equal(clientPropertyVariable("ssl.ca.location"), "KAFKA_CLIENT_SSL_CA_LOCATION");
  });

  it("may not change what the delivery promises rest on", () => {
    const { properties, problems } = clientPropertiesFromVariables({
      KAFKA_CLIENT_ACKS: "1",
      KAFKA_CLIENT_ENABLE_AUTO_COMMIT: "true",
      KAFKA_CLIENT_LINGER_MS: "20",
    });
    assert.deepEqual(properties, { "linger.ms": "20" });
    assert.equal(problems.length, 2);
    assert.match(problems[0] ?? "", /^KAFKA_CLIENT_ACKS: acks is set by kafka-fleet/);
    assert.match(
      problems[1] ?? "",
      /^KAFKA_CLIENT_ENABLE_AUTO_COMMIT: enable.auto.commit is set by kafka-fleet/,
    );
  });

  it("refuses the values of client properties that would break a promise, and takes the ones that keep it", () => {
    assert.deepEqual(
      clientPropertiesFromVariables({
        KAFKA_CLIENT_AUTO_OFFSET_RESET: "latest",
        KAFKA_CLIENT_PARTITION_ASSIGNMENT_STRATEGY: "range",
        KAFKA_CLIENT_GROUP_PROTOCOL: "consumer",
        KAFKA_CLIENT_GROUP_INSTANCE_ID: "pod-0",
        KAFKA_CLIENT_: "x",
      }).problems,
      [
        'KAFKA_CLIENT_AUTO_OFFSET_RESET="latest": only earliest: a new group starting elsewhere would skip the records already in the topic',
        'KAFKA_CLIENT_PARTITION_ASSIGNMENT_STRATEGY="range": only cooperative-sticky: the consumers assign and revoke partitions incrementally',
        'KAFKA_CLIENT_GROUP_PROTOCOL="consumer": set GROUP_PROTOCOL (classic or consumer) instead',
        "KAFKA_CLIENT_GROUP_INSTANCE_ID: every replica would get the same id and fence the others out of the group: set GROUP_INSTANCE_ID, one per replica (e.g. the pod's name)",
        "KAFKA_CLIENT_: expected KAFKA_CLIENT_<PROPERTY>, e.g. KAFKA_CLIENT_SECURITY_PROTOCOL",
      ],
    );
    assert.deepEqual(
      clientPropertiesFromVariables({
        KAFKA_CLIENT_AUTO_OFFSET_RESET: "Earliest",
        KAFKA_CLIENT_PARTITION_ASSIGNMENT_STRATEGY: "cooperative-sticky",
      }).properties,
      { "auto.offset.reset": "Earliest", "partition.assignment.strategy": "cooperative-sticky" },
    );
  });

  it("are checked by librdkafka too, each problem naming its variable, never with a secret's value", () => {
    assert.deepEqual(readClientProperties({ KAFKA_CLIENT_SASL_MECHANISM: "SCRAM-SHA-512" }, secret), {
      properties: { "sasl.mechanism": "SCRAM-SHA-512" },
      problems: [],
    });
    const { problems } = readClientProperties(
      { KAFKA_CLIENT_FOO_BAR: "1", KAFKA_CLIENT_LINGER_MS: "soon", KAFKA_CLIENT_SSL_KEY_PASSWORD: "" },
      secret,
    );
    assert.equal(problems.length, 2, problems.join("\n"));
    assert.match(problems[0] ?? "", /^KAFKA_CLIENT_FOO_BAR: .*foo\.bar/);
    assert.match(problems[1] ?? "", /^KAFKA_CLIENT_LINGER_MS: /);
  });

  it("stop at the rules: a refused variable is reported without asking librdkafka", () => {
    assert.deepEqual(
      readClientProperties({ KAFKA_CLIENT_ISOLATION_LEVEL: "x", KAFKA_CLIENT_FOO: "1" }, secret).problems,
      [
        "KAFKA_CLIENT_ISOLATION_LEVEL: isolation.level is set by kafka-fleet itself (its delivery promises depend on it)",
      ],
    );
  });
});
