// libs/kafka stands on its own: of the project it may use libs/serde and libs/tracing (leaves both) only, and its errors state facts, never
// what to run or which variable to set (the services add that). eslint's no-restricted-imports guards the
// imports while editing; this test guards them (and package.json, which eslint does not read) in every test run.
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { builtinModules } from "node:module";
import { describe, it } from "node:test";

import ts from "typescript";

import {
  DeliveryError,
  KafkaAuthenticationError,
  KafkaUnreachableError,
  TopicMissingError,
  type KafkaError,
} from "@kafka-fleet/kafka";

const root = new URL("../", import.meta.url);
const manifest = JSON.parse(readFileSync(new URL("package.json", root), "utf8")) as {
  dependencies?: Record<string, string>;
};
const ALLOWED_PROJECT_PACKAGES = new Set(["@kafka-fleet/serde", "@kafka-fleet/tracing"]);

/** Every module specifier a source file imports or re-exports, `import type` included. */
function importsOf(file: URL): string[] {
  return ts
    .preProcessFile(readFileSync(file, "utf8"), true, true)
    .importedFiles.map(({ fileName }) => fileName);
}

/** Why `specifier`, imported by a libs/kafka source file, is not allowed there; undefined when it is. */
function importProblem(
  specifier: string,
  dependencies: Readonly<Record<string, string>>,
): string | undefined {
  if (specifier.startsWith("./")) return specifier.includes("/../") ? "leaves src/" : undefined;
  if (specifier.startsWith("../") || specifier.startsWith("/")) return "leaves src/";
  if (specifier.startsWith("node:") || builtinModules.includes(specifier)) return undefined;
  const name = specifier.startsWith("@")
    ? specifier.split("/").slice(0, 2).join("/")
    : specifier.split("/")[0]!;
  if (name.startsWith("@kafka-fleet/") && !ALLOWED_PROJECT_PACKAGES.has(name)) return `imports ${name}`;
  return name in dependencies ? undefined : `imports ${name}, not in package.json`;
}

describe("libs/kafka on its own", () => {
  it("declares no kafka-fleet package but @kafka-fleet/serde and @kafka-fleet/tracing in package.json", () => {
    const own = Object.keys(manifest.dependencies ?? {}).filter((name) => name.startsWith("@kafka-fleet/"));
    assert.deepEqual(
      own.filter((name) => !ALLOWED_PROJECT_PACKAGES.has(name)),
      [],
    );
  });

  it("imports only its own files, node: modules and its declared dependencies", () => {
    const sources = readdirSync(new URL("src/", root)).filter((name) => name.endsWith(".ts"));
    assert.ok(sources.length > 5, `found ${sources.join(",")}`);
    const problems = sources.flatMap((name) =>
      importsOf(new URL(`src/${name}`, root)).flatMap((specifier) => {
        const problem = importProblem(specifier, manifest.dependencies ?? {});
        return problem === undefined ? [] : [`src/${name}: ${specifier} (${problem})`];
      }),
    );
    assert.deepEqual(problems, []);
  });

  it("would notice an import of @kafka-fleet/service, of a sibling's source, or of an undeclared package", () => {
    const dependencies = { "@confluentinc/kafka-javascript": "1.10.1" };
    assert.equal(importProblem("@kafka-fleet/service", dependencies), "imports @kafka-fleet/service");
    assert.equal(importProblem("../../service/src/errors.ts", dependencies), "leaves src/");
    assert.equal(importProblem("pino", dependencies), "imports pino, not in package.json");
    assert.equal(importProblem("@kafka-fleet/serde", { "@kafka-fleet/serde": "0.1.0" }), undefined);
    assert.equal(importProblem("./errors.ts", dependencies), undefined);
    assert.equal(importProblem("node:os", dependencies), undefined);
    assert.deepEqual(
      ts
        .preProcessFile(
          'import type { Logger } from "@kafka-fleet/service";\nexport * from "pino";',
          true,
          true,
        )
        .importedFiles.map(({ fileName }) => fileName),
      ["@kafka-fleet/service", "pino"],
    );
  });
});

describe("libs/kafka's errors", () => {
  const cases: Array<[string, KafkaError]> = [
    ["KAFKA_UNREACHABLE", new KafkaUnreachableError(["127.0.0.1:1"], 2000, new Error("Local: Timed out"))],
    ["KAFKA_AUTHENTICATION_FAILED", new KafkaAuthenticationError(["127.0.0.1:9192"], new Error("SASL"))],
    ["TOPIC_MISSING", new TopicMissingError("orders", "KAFKA_TOPIC")],
    ["DELIVERY_FAILED", new DeliveryError("orders", { code: -192, message: "Local: Message timed out" })],
  ];

  for (const [code, error] of cases) {
    it(`${code}: a stable code and the facts, no hint naming a variable or a command`, () => {
      assert.equal(error.code, code);
      assert.equal(typeof error.canRetry, "boolean");
      assert.ok(error instanceof Error);
      // The label the caller gave (TOPIC_MISSING's "KAFKA_TOPIC") is a fact; a variable the library names is not.
      const own = error.message.replace("(KAFKA_TOPIC)", "");
      assert.doesNotMatch(own, /\bmake\b|cluster\.sh|\bcheck\b|KAFKA_[A-Z_]+|deploy\//, error.message);
    });
  }

  it("name the brokers and the topic", () => {
    const [[, unreachable], [, authentication], [, missing]] = cases as [
      [string, KafkaError],
      [string, KafkaError],
      [string, KafkaError],
    ];
    assert.equal(
      unreachable.message,
      "could not reach Kafka at 127.0.0.1:1 within 2000 ms (Local: Timed out)",
    );
    assert.match(authentication.message, /^authentication failed at 127\.0\.0\.1:9192 /);
    assert.equal(missing.message, "topic orders (KAFKA_TOPIC) does not exist");
    assert.equal(new TopicMissingError("orders").message, "topic orders does not exist");
    assert.equal((missing as TopicMissingError).topic, "orders");
  });
});
