import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  ConfigError,
  env,
  isSecret,
  loadConfig,
  serviceEnvSchema,
  toServiceConfig,
} from "@kafka-fleet/service";

const load = (source: NodeJS.ProcessEnv) => loadConfig(serviceEnvSchema, source, toServiceConfig);

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

describe("loadConfig with the variables of every service", () => {
  it("applies the contract's defaults", () => {
    assert.deepEqual(load({}), { metricsPort: 9464, logLevel: "info", shutdownGraceMs: 10_000 });
  });

  it("reads set values and treats empty ones as unset", () => {
    const config = load({ METRICS_PORT: "0", LOG_LEVEL: "DEBUG", SHUTDOWN_GRACE_MS: "" });
    assert.equal(config.metricsPort, 0);
    assert.equal(config.logLevel, "debug");
    assert.equal(config.shutdownGraceMs, 10_000);
  });

  it("returns a frozen object, nested values included", () => {
    const schema = serviceEnvSchema.extend({ LIST: env.string().transform((v) => v.split(",")) });
    const config = loadConfig(schema, { LIST: "a,b" }, (vars) => ({ list: vars.LIST }));
    assert.ok(Object.isFrozen(config));
    assert.ok(Object.isFrozen(config.list));
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
  });

  it("redacts a secret's value", () => {
    const schema = serviceEnvSchema.extend({ DB_PASSWORD: env.integer() });
    assert.deepEqual(
      problemsOf(() => loadConfig(schema, { DB_PASSWORD: "hunter2" }, (vars) => vars)),
      [
        `DB_PASSWORD=<redacted>: expected an integer from ${Number.MIN_SAFE_INTEGER} to ${Number.MAX_SAFE_INTEGER}`,
      ],
    );
  });

  it("reports every bad variable at once", () => {
    const problems = problemsOf(() => load({ METRICS_PORT: "-1", SHUTDOWN_GRACE_MS: "soon" }));
    assert.equal(problems.length, 2);
    assert.match(problems.join("\n"), /METRICS_PORT="-1"/);
    assert.match(problems.join("\n"), /SHUTDOWN_GRACE_MS="soon"/);
  });

  it("turns a cross-variable check into a ConfigError", () => {
    const schema = serviceEnvSchema.extend({ FROM: env.bigint().default(0n), TO: env.bigint().optional() });
    const problems = problemsOf(() =>
      loadConfig(schema, { FROM: "5", TO: "3" }, (vars) => {
        if (vars.TO !== undefined && vars.TO <= vars.FROM) throw new Error("TO must be greater than FROM");
        return vars;
      }),
    );
    assert.deepEqual(problems, ["TO must be greater than FROM"]);
  });

  it("reports a library's own list of problems (libs/kafka's settings) one by one", () => {
    const problems = problemsOf(() =>
      loadConfig(serviceEnvSchema, {}, () => {
        throw Object.assign(new Error("two problems"), { problems: ["A: bad", "B: worse"] });
      }),
    );
    assert.deepEqual(problems, ["A: bad", "B: worse"]);
  });
});

describe("env builders", () => {
  it("parses int64 strings as bigints across the whole range", () => {
    const schema = serviceEnvSchema.extend({ V: env.bigint().default(0n) });
    const read = (value: string) => loadConfig(schema, { V: value }, (vars) => vars.V);
    assert.equal(read("-9223372036854775808"), -(2n ** 63n));
    assert.equal(read("9223372036854775807"), 2n ** 63n - 1n);
    assert.match(problemsOf(() => read("9223372036854775808"))[0] ?? "", /expected a 64-bit signed integer/);
    assert.match(problemsOf(() => read("1e3"))[0] ?? "", /expected an integer/);
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
