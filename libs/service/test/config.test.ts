import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  ConfigError,
  clientPropertyName,
  clientPropertyVariable,
  commonEnvSchema,
  env,
  isSecret,
  loadClientProperties,
  loadConfig,
  toCommonConfig,
} from "@kafka-fleet/service";

const load = (source: NodeJS.ProcessEnv) => loadConfig(commonEnvSchema, source, toCommonConfig);

function problemsOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    assert.equal(error.code, "CONFIG_INVALID");
    return error.problems;
  }
  assert.fail("expected a ConfigError");
}

describe("loadConfig with the common variables", () => {
  it("applies the contract's defaults", () => {
    assert.deepEqual(load({}), {
      bootstrapServers: ["localhost:9092", "localhost:9094", "localhost:9096"],
      topic: "topic_app",
      metricsPort: 9464,
      logLevel: "info",
      shutdownGraceMs: 10_000,
      connectTimeoutMs: 15_000,
      clientProperties: {},
    });
  });

  it("reads set values and treats empty ones as unset", () => {
    const config = load({
      KAFKA_BOOTSTRAP_SERVERS: " kafka-1:19092 , kafka-2:19092 ",
      KAFKA_TOPIC: "orders",
      METRICS_PORT: "0",
      LOG_LEVEL: "DEBUG",
      SHUTDOWN_GRACE_MS: "",
    });
    assert.deepEqual(config.bootstrapServers, ["kafka-1:19092", "kafka-2:19092"]);
    assert.equal(config.topic, "orders");
    assert.equal(config.metricsPort, 0);
    assert.equal(config.logLevel, "debug");
    assert.equal(config.shutdownGraceMs, 10_000);
  });

  it("returns a frozen object", () => {
    const config = load({});
    assert.ok(Object.isFrozen(config));
    assert.ok(Object.isFrozen(config.bootstrapServers));
  });

  it("names the variable, its value and what was expected", () => {
    assert.deepEqual(
      problemsOf(() => load({ METRICS_PORT: "http" })),
      ['METRICS_PORT="http": expected an integer from 0 to 65535'],
    );
    assert.deepEqual(
      problemsOf(() => load({ METRICS_PORT: "70000" })),
      ['METRICS_PORT="70000": expected an integer from 0 to 65535'],
    );
    assert.deepEqual(
      problemsOf(() => load({ LOG_LEVEL: "loud" })),
      ['LOG_LEVEL="loud": expected one of fatal, error, warn, info, debug, trace, silent'],
    );
    assert.deepEqual(
      problemsOf(() => load({ KAFKA_BOOTSTRAP_SERVERS: "localhost" })),
      ['KAFKA_BOOTSTRAP_SERVERS="localhost": expected host:port[,host:port...] (IPv6 as [address]:port)'],
    );
  });

  it("reports every bad variable at once", () => {
    const problems = problemsOf(() => load({ METRICS_PORT: "-1", SHUTDOWN_GRACE_MS: "soon" }));
    assert.equal(problems.length, 2);
    assert.match(problems.join("\n"), /METRICS_PORT="-1"/);
    assert.match(problems.join("\n"), /SHUTDOWN_GRACE_MS="soon"/);
  });

  it("turns a cross-variable check into a ConfigError", () => {
    const schema = commonEnvSchema.extend({ FROM: env.bigint().default(0n), TO: env.bigint().optional() });
    const problems = problemsOf(() =>
      loadConfig(schema, { FROM: "5", TO: "3" }, (vars) => {
        if (vars.TO !== undefined && vars.TO <= vars.FROM) throw new Error("TO must be greater than FROM");
        return vars;
      }),
    );
    assert.deepEqual(problems, ["TO must be greater than FROM"]);
  });
});

describe("env builders", () => {
  it("parses int64 strings as bigints across the whole range", () => {
    const schema = commonEnvSchema.extend({ V: env.bigint().default(0n) });
    const read = (value: string) => loadConfig(schema, { V: value }, (vars) => vars.V);
    assert.equal(read("-9223372036854775808"), -(2n ** 63n));
    assert.equal(read("9223372036854775807"), 2n ** 63n - 1n);
    assert.match(problemsOf(() => read("9223372036854775808"))[0] ?? "", /expected a 64-bit signed integer/);
    assert.match(problemsOf(() => read("1e3"))[0] ?? "", /expected an integer/);
  });
});

describe("broker addresses and topic names", () => {
  it("accepts IPv6 brokers in brackets, and refuses them without", () => {
    assert.deepEqual(
      load({ KAFKA_BOOTSTRAP_SERVERS: "[::1]:9092,[fe80::1%eth0]:9094,kafka:9096" }).bootstrapServers,
      ["[::1]:9092", "[fe80::1%eth0]:9094", "kafka:9096"],
    );
    const [problem] = problemsOf(() => load({ KAFKA_BOOTSTRAP_SERVERS: "::1:9092" }));
    assert.match(problem ?? "", /^KAFKA_BOOTSTRAP_SERVERS="::1:9092": .*IPv6 as \[address\]:port/);
  });

  it("refuses a port above 65535, and port 0", () => {
    for (const servers of ["localhost:70000", "localhost:9092,localhost:0"]) {
      const [problem] = problemsOf(() => load({ KAFKA_BOOTSTRAP_SERVERS: servers }));
      assert.match(problem ?? "", /^KAFKA_BOOTSTRAP_SERVERS=.*port from 1 to 65535/, servers);
    }
  });

  for (const [name, why] of [
    ["orders events", "a space"],
    ["orders/eu", "a slash"],
    ["..", "a dot-dot"],
    ["x".repeat(250), "250 characters"],
  ] as const) {
    it(`refuses a topic name with ${why}, naming the variable`, () => {
      const [problem] = problemsOf(() => load({ KAFKA_TOPIC: name }));
      assert.match(problem ?? "", /^KAFKA_TOPIC=/);
    });
  }

  it("accepts every character Kafka allows in a topic name", () => {
    assert.equal(load({ KAFKA_TOPIC: "Orders_v2.eu-west" }).topic, "Orders_v2.eu-west");
  });
});

describe("KAFKA_CLIENT_* variables", () => {
  it("become librdkafka properties: prefix dropped, lower case, _ read as .", () => {
    const config = load({
      KAFKA_CLIENT_SECURITY_PROTOCOL: "SASL_SSL",
      KAFKA_CLIENT_SASL_MECHANISM: "SCRAM-SHA-512",
      KAFKA_CLIENT_SASL_USERNAME: " fleet ",
      OTHER_VARIABLE: "ignored",
    });
    assert.deepEqual(config.clientProperties, {
      "security.protocol": "SASL_SSL",
      "sasl.mechanism": "SCRAM-SHA-512",
      "sasl.username": "fleet",
    });
    assert.equal(clientPropertyName("KAFKA_CLIENT_SSL_CA_LOCATION"), "ssl.ca.location");
    assert.equal(clientPropertyVariable("ssl.ca.location"), "KAFKA_CLIENT_SSL_CA_LOCATION");
  });

  it("may not change what the delivery promises rest on", () => {
    const problems = problemsOf(() =>
      load({ KAFKA_CLIENT_ACKS: "1", KAFKA_CLIENT_ENABLE_AUTO_COMMIT: "true", KAFKA_CLIENT_LINGER_MS: "20" }),
    );
    assert.equal(problems.length, 2);
    assert.match(problems[0] ?? "", /^KAFKA_CLIENT_ACKS: acks is set by kafka-fleet/);
    assert.match(
      problems[1] ?? "",
      /^KAFKA_CLIENT_ENABLE_AUTO_COMMIT: enable.auto.commit is set by kafka-fleet/,
    );
  });

  it("reports what the property check finds against the variable, never with a secret's value", () => {
    const problems = problemsOf(() =>
      loadConfig(
        commonEnvSchema,
        { KAFKA_CLIENT_SASL_PASSWORD: "hunter2", KAFKA_CLIENT_FOO_BAR: "1" },
        (vars) =>
          toCommonConfig(vars, (properties, secret) =>
            Object.keys(properties).map((property) => ({
              property,
              message: secret(property)
                ? "bad value <redacted>"
                : `No such configuration property: "${property}"`,
            })),
          ),
      ),
    );
    assert.deepEqual(problems, [
      "KAFKA_CLIENT_SASL_PASSWORD: bad value <redacted>",
      'KAFKA_CLIENT_FOO_BAR: No such configuration property: "foo.bar"',
    ]);
  });

  it("are read alone, the same way, by loadClientProperties (for tools such as the audit CLI)", () => {
    assert.deepEqual(
      loadClientProperties({
        KAFKA_CLIENT_SASL_MECHANISM: " SCRAM-SHA-512 ",
        KAFKA_CLIENT_SASL_PASSWORD: "hunter2",
        KAFKA_CLIENT_LINGER_MS: "",
        METRICS_PORT: "not checked here",
      }),
      { "sasl.mechanism": "SCRAM-SHA-512", "sasl.password": "hunter2" },
    );
    assert.deepEqual(
      problemsOf(() => loadClientProperties({ KAFKA_CLIENT_ISOLATION_LEVEL: "x" })),
      [
        "KAFKA_CLIENT_ISOLATION_LEVEL: isolation.level is set by kafka-fleet itself (its delivery promises depend on it)",
      ],
    );
    const problems = problemsOf(() =>
      loadClientProperties({ KAFKA_CLIENT_SASL_PASSWORD: "hunter2" }, (properties, secret) =>
        Object.keys(properties).map((property) => ({
          property,
          message: secret(property) ? "bad value <redacted>" : "bad value",
        })),
      ),
    );
    assert.deepEqual(problems, ["KAFKA_CLIENT_SASL_PASSWORD: bad value <redacted>"]);
  });

  it("refuses the values of client properties that would break a promise, and takes the ones that keep it", () => {
    assert.deepEqual(
      problemsOf(() =>
        loadClientProperties({
          KAFKA_CLIENT_AUTO_OFFSET_RESET: "latest",
          KAFKA_CLIENT_PARTITION_ASSIGNMENT_STRATEGY: "range",
          KAFKA_CLIENT_GROUP_PROTOCOL: "consumer",
        }),
      ),
      [
        'KAFKA_CLIENT_AUTO_OFFSET_RESET="latest": only earliest: a new group starting elsewhere would skip the records already in the topic',
        'KAFKA_CLIENT_PARTITION_ASSIGNMENT_STRATEGY="range": only cooperative-sticky: the consumers assign and revoke partitions incrementally',
        'KAFKA_CLIENT_GROUP_PROTOCOL="consumer": set GROUP_PROTOCOL (classic or consumer) instead',
      ],
    );
    assert.deepEqual(
      loadClientProperties({
        KAFKA_CLIENT_AUTO_OFFSET_RESET: "Earliest",
        KAFKA_CLIENT_PARTITION_ASSIGNMENT_STRATEGY: "cooperative-sticky",
      }),
      { "auto.offset.reset": "Earliest", "partition.assignment.strategy": "cooperative-sticky" },
    );
  });

  it("knows which names hold secrets", () => {
    for (const name of [
      "KAFKA_CLIENT_SASL_PASSWORD",
      "KAFKA_CLIENT_SSL_KEY_PASSWORD",
      "KAFKA_CLIENT_SASL_OAUTHBEARER_CLIENT_SECRET",
      "KAFKA_CLIENT_SSL_KEY_PEM",
      "KAFKA_CLIENT_SASL_OAUTHBEARER_CONFIG",
      "sasl.oauthbearer.config",
      "sasl.jaas.config",
    ]) {
      assert.ok(isSecret(name), name);
    }
    for (const name of [
      "KAFKA_CLIENT_SASL_USERNAME",
      "KAFKA_CLIENT_SSL_CA_LOCATION",
      "KAFKA_CLIENT_SASL_OAUTHBEARER_TOKEN_ENDPOINT_URL",
    ]) {
      assert.ok(!isSecret(name), name);
    }
  });
});
