import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  ConfigError,
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

/** A reader as libs/kafka's, reduced to what the hook does: each SECRET_/PLAIN_ variable names a property. */
const reader = (vars: Readonly<Record<string, unknown>>, secret: (name: string) => boolean) => {
  const properties: Record<string, string> = {};
  const problems: string[] = [];
  for (const [name, value] of Object.entries(vars)) {
    if (!/^(SECRET|PLAIN)_/.test(name) || typeof value !== "string") continue;
    if (value === "bad") problems.push(`${name}: bad value ${secret(name) ? "<redacted>" : value}`);
    else properties[name.toLowerCase()] = value;
  }
  return { properties, problems };
};

describe("client properties, read through the reader a service passes in", () => {
  it("are none without a reader: this lib knows no client", () => {
    assert.deepEqual(load({ KAFKA_CLIENT_SASL_MECHANISM: "PLAIN" }).clientProperties, {});
  });

  it("are what the reader reads, and its problems a ConfigError, with secrets known to it", () => {
    const read = (source: NodeJS.ProcessEnv) =>
      loadConfig(commonEnvSchema, source, (vars) => toCommonConfig(vars, reader));
    assert.deepEqual(read({ PLAIN_A: "1", SECRET_B: "2", OTHER: "x" }).clientProperties, {
      plain_a: "1",
      secret_b: "2",
    });
    assert.deepEqual(
      problemsOf(() => read({ PLAIN_A: "bad", SECRET_B: "bad" })),
      ["PLAIN_A: bad value bad", "SECRET_B: bad value <redacted>"],
    );
  });

  it("are read alone, the same way, by loadClientProperties (for tools such as the audit CLI)", () => {
    assert.deepEqual(
      loadClientProperties({ PLAIN_A: "1", PLAIN_B: "", METRICS_PORT: "not checked" }, reader),
      {
        plain_a: "1",
      },
    );
    assert.deepEqual(
      problemsOf(() => loadClientProperties({ SECRET_B: "bad" }, reader)),
      ["SECRET_B: bad value <redacted>"],
    );
  });
});

describe("secrets", () => {
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
