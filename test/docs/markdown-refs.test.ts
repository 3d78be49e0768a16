// The project's Markdown against the tree: every make target, environment variable, file path and metric name
// a document names exists in the Makefile, the code or the repository. Catches the mechanical kind of stale doc
// (a renamed file, a target or variable gone); whether the prose around them is still true is for a reader.
import assert from "node:assert/strict";
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { describe, it } from "node:test";

import rdkafka from "@confluentinc/kafka-javascript";

import { REPO_ROOT, makeTargets, metricNamesInCode, readRepoFile, repoFiles } from "./code-facts.ts";
import { codeOf, localLinks } from "./markdown.ts";

const DOCUMENTS = repoFiles("README.md", "services/*/README.md", "docs/*.md", "deploy/**/README.md");

/** Where repository paths start: the top-level folders. A path elsewhere (.run/, a URL) is not checked. */
const TOP_LEVEL = [
  "libs",
  "services",
  "deploy",
  "test",
  "docs",
  "bench",
  "labs",
  "examples",
  "tools",
  "bin",
  ".ci",
];

/**
 * A repository path written in a document: starts at a top-level folder, is not part of a longer path or a URL,
 * and is not a pattern (`libs/*\/test`, `services/<role>`, `{a,b}`): those name no single file.
 */
const PATH = new RegExp(
  `(?<![\\w./-])((?:${TOP_LEVEL.map((dir) => dir.replace(".", "\\.")).join("|")})/[\\w./-]*[\\w/])(?![*<{…\\w])`,
  "g",
);

/** Upper-case words with an underscore, as variables are written: `BATCH_SIZE`, `KAFKA_CLIENT_SASL_MECHANISM`. */
const VARIABLE = /\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b/g;

/**
 * Names that are real without occurring in the tree: any librdkafka property as a KAFKA_CLIENT_ variable (the
 * code reads them by prefix), and Kafka's own error names (NOT_ENOUGH_REPLICAS is librdkafka's
 * ERR_NOT_ENOUGH_REPLICAS).
 */
function realElsewhere(name: string): boolean {
  return name.startsWith("KAFKA_CLIENT_") || `ERR_${name}` in rdkafka.CODES.ERRORS;
}

/** Every word of the repository's files other than Markdown: where a variable a document names must occur. */
function wordsOfTheTree(): Set<string> {
  const words = new Set<string>();
  const files = repoFiles("**/*", ".*/**/*", ".*").filter((path) => !path.endsWith(".md"));
  for (const path of files) {
    const full = join(REPO_ROOT, path);
    if (!statSync(full).isFile()) continue;
    for (const match of readFileSync(full, "utf8").matchAll(/\b[A-Z][A-Z0-9_]+\b/g)) words.add(match[0]);
  }
  return words;
}

interface Finding {
  readonly document: string;
  readonly name: string;
}

function each(find: (document: string, markdown: string) => Iterable<string>): Finding[] {
  return DOCUMENTS.flatMap((document) =>
    [...new Set(find(document, readRepoFile(document)))].map((name) => ({ document, name })),
  );
}

function report(findings: readonly Finding[]): string[] {
  return findings.map(({ document, name }) => `${document}: ${name}`);
}

describe("the Markdown names only what exists", () => {
  it("finds the documents", () => {
    assert.ok(DOCUMENTS.includes("README.md") && DOCUMENTS.includes("docs/design.md"), DOCUMENTS.join(", "));
    assert.ok(DOCUMENTS.some((path) => path.startsWith("services/")));
  });

  it("make targets exist in the Makefile", () => {
    const targets = makeTargets();
    const named = each((_document, markdown) =>
      codeOf(markdown).flatMap((code) =>
        [...code.matchAll(/(?:^|[^\w.-])make ([a-z][a-z0-9-]*)/g)].map((match) => match[1] as string),
      ),
    );
    assert.ok(named.length > 20, `found only ${named.length} make commands: did the pattern stop matching?`);
    assert.deepEqual(report(named.filter(({ name }) => !targets.has(name))), []);
  });

  it("environment variables (and other upper-case names in code) occur in the code", () => {
    const words = wordsOfTheTree();
    const named = each((_document, markdown) =>
      codeOf(markdown).flatMap((code) => [...code.matchAll(VARIABLE)].map((match) => match[0])),
    );
    assert.ok(named.length > 50, `found only ${named.length} variables: did the pattern stop matching?`);
    assert.deepEqual(report(named.filter(({ name }) => !words.has(name) && !realElsewhere(name))), []);
  });

  it("file paths and links exist in the tree", () => {
    const named = each((document, markdown) => [
      ...[...markdown.matchAll(PATH)].map((match) => match[1] as string),
      // A link is relative to its document's folder; written as a path from the root.
      ...localLinks(markdown).map((target) =>
        relative(REPO_ROOT, join(REPO_ROOT, dirname(document), target)),
      ),
    ]);
    assert.ok(named.length > 50, `found only ${named.length} paths: did the pattern stop matching?`);
    assert.deepEqual(report(named.filter(({ name }) => !existsSync(join(REPO_ROOT, name)))), []);
  });

  it("metric names are registered by the product", () => {
    const metrics = metricNamesInCode();
    // A histogram's series carry suffixes; a list may leave out the prefix of `..._total` and `..._seconds` names.
    const base = (name: string) => name.replace(/_(bucket|sum|count)$/, "");
    const named = each((_document, markdown) => [
      ...[...markdown.matchAll(/\bkafka_fleet_[a-z0-9_]*[a-z0-9]/g)].map((match) => match[0]),
      ...codeOf(markdown)
        .filter(
          (code) =>
            /^[a-z][a-z0-9_]*_(total|seconds)$/.test(code) && !/^(process|nodejs|kafka_fleet)_/.test(code),
        )
        .map((code) => `kafka_fleet_${code}`),
    ]);
    assert.ok(named.length > 20, `found only ${named.length} metric names: did the pattern stop matching?`);
    assert.deepEqual(report(named.filter(({ name }) => !metrics.has(name) && !metrics.has(base(name)))), []);
  });
});
