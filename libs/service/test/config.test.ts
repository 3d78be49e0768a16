import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";

import {
  ConfigError,
  env,
  isSecret,
  loadConfig,
  readFileVariables,
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
    assert.deepEqual(load({}), {
      metricsHost: "127.0.0.1",
      metricsPort: 9464,
      logLevel: "info",
      shutdownGraceMs: 10_000,
      tracing: { enabled: false },
    });
  });

  it("turns tracing on from the OTEL_* variables, and refuses one the SDK could not use", () => {
    assert.deepEqual(load({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318" }).tracing, {
      enabled: true,
      endpoint: "http://127.0.0.1:4318",
    });
    assert.deepEqual(
      load({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318", OTEL_SDK_DISABLED: "true" }).tracing,
      { enabled: false },
    );
    assert.deepEqual(
      problemsOf(() => load({ OTEL_EXPORTER_OTLP_ENDPOINT: "localhost:4318" })),
      [
        'OTEL_EXPORTER_OTLP_ENDPOINT="localhost:4318": expected the http(s) URL of an OTLP receiver, e.g. http://127.0.0.1:4318',
      ],
    );
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

describe("METRICS_HOST", () => {
  it("takes an IPv4 or IPv6 address or a host name", () => {
    for (const host of ["0.0.0.0", "127.0.0.1", "::", "::1", "localhost", "metrics.internal"]) {
      assert.equal(load({ METRICS_HOST: host }).metricsHost, host);
    }
  });

  it("refuses anything else, saying what it takes", () => {
    for (const host of ["http://0.0.0.0", "[::1]", "0.0.0.0:9464", "my host"]) {
      assert.deepEqual(
        problemsOf(() => load({ METRICS_HOST: host })),
        [
          `METRICS_HOST=${JSON.stringify(host)}: expected an address to listen on: 127.0.0.1 (this machine only), 0.0.0.0 (every interface), :: or a host name`,
        ],
      );
    }
  });
});

describe("<NAME>_FILE", () => {
  const dir = mkdtempSync(join(tmpdir(), "fleet-config-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, content: string) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };
  const schema = serviceEnvSchema.extend({ DB_PASSWORD: env.optionalString() });
  // What libs/kafka reads beside a service's schema, as the services pass it (isClientPropertyVariable).
  const readBeside = (name: string) => name.startsWith("KAFKA_CLIENT_");
  const loadVars = (source: NodeJS.ProcessEnv) => loadConfig(schema, source, (vars) => vars, readBeside);

  it("reads a variable the schema names from its file, less the final line break", () => {
    assert.equal(loadVars({ DB_PASSWORD_FILE: file("db", "s3cret\n") }).DB_PASSWORD, "s3cret");
    assert.equal(loadVars({ LOG_LEVEL_FILE: file("level", "debug\r\n") }).LOG_LEVEL, "debug");
  });

  it("takes off one final line break only: the rest is the value, as written (readFileVariables)", () => {
    const read = (content: string) =>
      readFileVariables(
        { A_FILE: "/a" },
        () => true,
        () => content,
      ).A;
    assert.equal(read(" two words \n\n"), " two words \n");
    assert.equal(read("no break"), "no break");
  });

  it("reads a variable read beside the schema (any KAFKA_CLIENT_*) from its file, and the <NAME>_FILE variable itself is gone", () => {
    const vars = loadVars({ KAFKA_CLIENT_SASL_PASSWORD_FILE: file("sasl", "p@ss\n") });
    assert.equal(vars.KAFKA_CLIENT_SASL_PASSWORD, "p@ss");
    assert.equal(vars.KAFKA_CLIENT_SASL_PASSWORD_FILE, undefined);
    // Without the rule, libs/service knows no such variable: the file is left alone.
    const untold = loadConfig(schema, { KAFKA_CLIENT_SASL_PASSWORD_FILE: "/nonexistent" }, (vars) => vars);
    assert.equal(untold.KAFKA_CLIENT_SASL_PASSWORD_FILE, "/nonexistent");
  });

  it("leaves alone a *_FILE variable of someone else's (SSL_CERT_FILE is OpenSSL's)", () => {
    const vars = loadVars({ SSL_CERT_FILE: "/nonexistent/ca.pem" });
    assert.equal(vars.SSL_CERT_FILE, "/nonexistent/ca.pem");
    assert.equal(vars.SSL_CERT, undefined);
  });

  it("refuses both set, naming both, without the value", () => {
    const problems = problemsOf(() =>
      loadVars({ KAFKA_CLIENT_SASL_PASSWORD: "inline", KAFKA_CLIENT_SASL_PASSWORD_FILE: file("both", "x") }),
    );
    assert.deepEqual(problems, [
      "KAFKA_CLIENT_SASL_PASSWORD and KAFKA_CLIENT_SASL_PASSWORD_FILE are both set: keep one (KAFKA_CLIENT_SASL_PASSWORD_FILE is the path of a file holding KAFKA_CLIENT_SASL_PASSWORD)",
    ]);
    assert.doesNotMatch(problems.join(), /inline/);
  });

  it("refuses a file it cannot read, or an empty one, naming the variable and the path", () => {
    const missing = join(dir, "missing");
    const [unreadable] = problemsOf(() => loadVars({ DB_PASSWORD_FILE: missing }));
    assert.match(
      unreadable ?? "",
      new RegExp(`^DB_PASSWORD_FILE="${missing}": cannot read the file \\(ENOENT`),
    );
    assert.match(unreadable ?? "", /give the path of a readable file holding DB_PASSWORD$/);
    assert.deepEqual(
      problemsOf(() => loadVars({ DB_PASSWORD_FILE: file("empty", "\n") })),
      [`DB_PASSWORD_FILE="${join(dir, "empty")}": the file is empty: it must hold DB_PASSWORD's value`],
    );
  });

  it("keeps a secret read from a file out of the message of a bad value", () => {
    const numeric = serviceEnvSchema.extend({ DB_PASSWORD: env.integer().optional() });
    assert.deepEqual(
      problemsOf(() => loadConfig(numeric, { DB_PASSWORD_FILE: file("nan", "hunter2") }, (vars) => vars)),
      [
        `DB_PASSWORD=<redacted>: expected an integer from ${Number.MIN_SAFE_INTEGER} to ${Number.MAX_SAFE_INTEGER}`,
      ],
    );
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
