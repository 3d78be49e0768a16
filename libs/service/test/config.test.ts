import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { ConfigError, commonEnvSchema, env, loadConfig, toCommonConfig } from "@kafka-fleet/service";

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
      ['KAFKA_BOOTSTRAP_SERVERS="localhost": expected host:port[,host:port...]'],
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
