// docs/design.md's contract against the code, both ways: a variable, metric, log event or make target that exists
// in one and not in the other fails here, naming it and where to add it.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";

import { batchConsumerService } from "../../services/batch-consumer/src/service.ts";
import { producerService } from "../../services/producer/src/service.ts";
import { singleConsumerService } from "../../services/single-consumer/src/service.ts";
import {
  directEnvReads,
  logEventsInCode,
  makeTargets,
  metricNamesInCode,
  productSources,
  readRepoFile,
  toolVariablesInCode,
  variableCandidatesInCode,
} from "./code-facts.ts";
import { codeSpans, sectionAfter, tableAfter } from "./markdown.ts";

const DESIGN = "docs/design.md";
const design = readRepoFile(DESIGN);

/** The code spans of each row's first cell: the names a contract table defines. */
function namesIn(heading: string): string[] {
  return tableAfter(design, heading).flatMap((row) => codeSpans(row[0] ?? ""));
}

function sorted(names: Iterable<string>): string[] {
  return [...names].sort();
}

/** What is in `a` and not in `b`. */
function minus(a: Iterable<string>, b: Iterable<string>): string[] {
  const other = new Set(b);
  return sorted([...a].filter((name) => !other.has(name)));
}

// ---- service environment ----------------------------------------------------------------------------------

type Load = (env: NodeJS.ProcessEnv) => unknown;
const definitions = {
  producer: producerService(),
  "single-consumer": singleConsumerService(),
  "batch-consumer": batchConsumerService(),
};
const SERVICES: Readonly<Record<string, Load>> = Object.fromEntries(
  Object.entries(definitions).map(([name, definition]) => [
    name,
    (env: NodeJS.ProcessEnv) => definition.loadConfig(env),
  ]),
);
const CLIENT_PROPERTY_ROW = "KAFKA_CLIENT_<PROPERTY>";

/** A value no variable accepts as it is, or that shows in the configuration when one does (a group id). */
const PROBE = "∅ probe ∅";

function describeConfig(config: unknown): string {
  return JSON.stringify(config, (_key, value: unknown) => (typeof value === "bigint" ? `${value}n` : value));
}

/**
 * Whether loading the service's configuration reads `name`: a probe value either is refused with a message naming
 * the variable, or changes the configuration. Asking the loader itself, not its source, so that the answer holds
 * however the schemas are composed.
 */
function reads(load: Load, name: string): boolean {
  const baseline = describeConfig(load({}));
  try {
    return describeConfig(load({ [name]: PROBE })) !== baseline;
  } catch (error) {
    return error instanceof Error && error.message.includes(name);
  }
}

/** "all", "consumers" or a service's name, as the "read by" column says it. */
function readersOf(cell: string): string[] {
  if (cell === "all") return Object.keys(SERVICES);
  if (cell === "consumers") return ["single-consumer", "batch-consumer"];
  return cell.split(",").map((name) => name.trim());
}

describe(`${DESIGN}: service environment`, () => {
  const rows = tableAfter(design, "Service environment");
  const documented = new Map<string, string[]>();
  for (const row of rows) {
    for (const name of codeSpans(row[0] ?? "")) documented.set(name, readersOf(row[2] ?? ""));
  }
  const candidates = new Set([...variableCandidatesInCode(), ...documented.keys()]);
  candidates.delete(CLIENT_PROPERTY_ROW);

  for (const [service, load] of Object.entries(SERVICES)) {
    it(`lists exactly the variables the ${service} reads`, () => {
      const inCode = sorted(
        [...candidates].filter((name) => !name.startsWith("KAFKA_CLIENT_") && reads(load, name)),
      );
      const inDoc = [...documented]
        .filter(([name, readers]) => name !== CLIENT_PROPERTY_ROW && readers.includes(service))
        .map(([name]) => name);
      assert.ok(inCode.length >= 5, `found only ${inCode.length} variables: is the probe still refused?`);
      assert.deepEqual(
        { readButUndocumented: minus(inCode, inDoc), documentedButNotRead: minus(inDoc, inCode) },
        { readButUndocumented: [], documentedButNotRead: [] },
        `the ${service}'s row of "read by" in ${DESIGN} (Service environment) must match its configuration`,
      );
    });
  }

  it(`says every service reads ${CLIENT_PROPERTY_ROW}, and each does`, () => {
    assert.deepEqual(documented.get(CLIENT_PROPERTY_ROW), Object.keys(SERVICES));
    for (const [service, load] of Object.entries(SERVICES)) {
      const config = describeConfig(load({ KAFKA_CLIENT_LINGER_MS: "7" }));
      assert.match(config, /"linger\.ms":"7"/, `${service} takes librdkafka properties from KAFKA_CLIENT_*`);
    }
  });

  it(`says any ${CLIENT_PROPERTY_ROW} can be given as <NAME>_FILE, and each service reads it so`, (t) => {
    assert.match(design, /any `KAFKA_CLIENT_\*` can instead be given as `<NAME>_FILE`/);
    const dir = mkdtempSync(join(tmpdir(), "fleet-contract-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, "linger");
    writeFileSync(file, "7\n");
    for (const [service, load] of Object.entries(SERVICES)) {
      const config = describeConfig(load({ KAFKA_CLIENT_LINGER_MS_FILE: file }));
      assert.match(config, /"linger\.ms":"7"/, `${service} reads KAFKA_CLIENT_LINGER_MS from its file`);
    }
  });

  it("documents every variable the product reads outside a config schema (process.env)", () => {
    const tools = namesIn("Tool environment");
    assert.deepEqual(minus(directEnvReads(productSources()), [...documented.keys(), ...tools]), []);
  });
});

// ---- tool environment -------------------------------------------------------------------------------------

/** Shell variables a deploy script sets for itself and tests with ${NAME:-} before its first use. */
const SCRIPT_INTERNALS = new Set(["CDS_BASE", "CDS_RECORDING"]);

describe(`${DESIGN}: tool environment`, () => {
  it("lists exactly the variables the make targets, scripts, Compose and test helpers read", () => {
    const service = namesIn("Service environment");
    const inCode = minus(toolVariablesInCode(), [...service, ...SCRIPT_INTERNALS]);
    const inDoc = namesIn("Tool environment");
    assert.ok(
      inCode.length >= 10,
      `found only ${inCode.length} tool variables: did the patterns stop matching?`,
    );
    assert.deepEqual(
      { readButUndocumented: minus(inCode, inDoc), documentedButNotRead: minus(inDoc, inCode) },
      { readButUndocumented: [], documentedButNotRead: [] },
    );
  });
});

// ---- metrics, log events, make targets --------------------------------------------------------------------

describe(`${DESIGN}: metrics, log events and make targets`, () => {
  it("lists exactly the metrics the product registers", () => {
    const inCode = metricNamesInCode();
    const inDoc = namesIn("Metrics");
    assert.ok(inCode.size >= 10, `found only ${inCode.size} metrics: did the pattern stop matching?`);
    assert.deepEqual(
      { registeredButUndocumented: minus(inCode, inDoc), documentedButNotRegistered: minus(inDoc, inCode) },
      { registeredButUndocumented: [], documentedButNotRegistered: [] },
    );
  });

  it("lists exactly the log events the product writes", () => {
    const inCode = logEventsInCode();
    const inDoc = namesIn("Log events");
    assert.ok(inCode.size >= 20, `found only ${inCode.size} events: did the pattern stop matching?`);
    assert.deepEqual(
      {
        loggedButUndocumented: minus(inCode.keys(), inDoc),
        documentedButNotLogged: minus(inDoc, inCode.keys()),
      },
      { loggedButUndocumented: [], documentedButNotLogged: [] },
    );
  });

  it("lists exactly the Makefile's targets", () => {
    const inDoc = namesIn("Make targets").map((span) => span.replace(/^make /, ""));
    assert.deepEqual(sorted(inDoc), sorted(makeTargets()));
  });
});

// ---- command-line tools -----------------------------------------------------------------------------------

const TOOLS = [
  "audit",
  "records",
  "dlq",
  "watch",
  "labs",
  "chaos",
  "bench",
  "rebalance pause",
  "share groups bench",
];

/** The flags a tool's parseArgs accepts: the keys of its options, each `name: { type: ... }`. */
function flagsParsedBy(source: string): string[] {
  const text = readRepoFile(source);
  return [...text.matchAll(/(?:^|[{,])\s*"?([a-z][a-z0-9-]*)"?:\s*\{\s*type:\s*"(?:string|boolean)"/gm)].map(
    (match) => `--${match[1]}`,
  );
}

describe(`${DESIGN}: command-line tools`, () => {
  for (const tool of TOOLS) {
    it(`lists exactly the flags of ${tool}`, () => {
      // The section names the tool's source file in a code span; `node --import tsx` is how it is run, not a flag.
      const spans = codeSpans(sectionAfter(design, tool)).map((span) =>
        span.replace("node --import tsx", ""),
      );
      const source = spans.map((span) => /[\w./-]+\.ts\b/.exec(span)?.[0]).find((path) => path !== undefined);
      assert.ok(source, `the "${tool}" section of ${DESIGN} names the tool's source file`);
      const inCode = flagsParsedBy(source);
      const inDoc = spans.flatMap((span) =>
        [...span.matchAll(/(?<![\w-])--[a-z][a-z0-9-]*/g)].map((match) => match[0]),
      );
      assert.ok(inCode.length > 0, `found no options in ${source}: does it still use parseArgs?`);
      assert.deepEqual(
        { parsedButUndocumented: minus(inCode, inDoc), documentedButNotParsed: minus(inDoc, inCode) },
        { parsedButUndocumented: [], documentedButNotParsed: [] },
        source,
      );
    });
  }
});
