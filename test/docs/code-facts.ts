// What the code says, read from the sources themselves, for the checks that hold the docs to it. Reading text
// rather than importing modules keeps these checks independent of which module defines what: a metric or an
// event moved to another lib is still found.
import { globSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

export function readRepoFile(path: string): string {
  return readFileSync(`${REPO_ROOT}${path}`, "utf8");
}

/** Repository files matching `patterns` (globs relative to the root), sorted; dependencies, git and run state left out. */
export function repoFiles(...patterns: string[]): string[] {
  return globSync(patterns, {
    cwd: REPO_ROOT,
    exclude: (path) => path.includes("node_modules") || /^\.(git|run|tools)(\/|$)/.test(path),
  }).sort();
}

/** The product's TypeScript: what the services and workers run (tests, fixtures and harness code left out). */
export function productSources(): string[] {
  return repoFiles("libs/*/src/**/*.ts", "services/*/src/**/*.ts");
}

/** `text` without its comments, so that an event or a metric mentioned in prose does not count as defined. */
export function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1");
}

function productText(): Array<{ path: string; text: string }> {
  return productSources().map((path) => ({ path, text: withoutComments(readRepoFile(path)) }));
}

/**
 * Every metric name the product registers: the `name` of a prom-client metric, written either as
 * `${...PREFIX}rest` or as a "kafka_fleet_rest" literal.
 */
export function metricNamesInCode(): Set<string> {
  const names = new Set<string>();
  for (const { text } of productText()) {
    for (const match of text.matchAll(/\bname:\s*`\$\{[\w.]*PREFIX\}([a-z][a-z0-9_]*)`/g))
      names.add(`kafka_fleet_${match[1]}`);
    for (const match of text.matchAll(/\bname:\s*["'`](kafka_fleet_[a-z0-9_]+)["'`]/g))
      names.add(match[1] as string);
  }
  return names;
}

/** Every log event the product writes: `event: "..."` in an object literal (a logger call's first argument). */
export function logEventsInCode(): Map<string, string[]> {
  const events = new Map<string, string[]>();
  for (const { path, text } of productText()) {
    for (const match of text.matchAll(/[{,]\s*event:\s*["'`]([\w.-]+)["'`]/g)) {
      const name = match[1] as string;
      events.set(name, [...(events.get(name) ?? []), path]);
    }
  }
  return events;
}

/**
 * Words of the product's sources that could name an environment variable (upper case, digits, underscores).
 * Only candidates: which of them a service really reads is decided by loading its configuration.
 */
export function variableCandidatesInCode(): Set<string> {
  const candidates = new Set<string>();
  for (const path of productSources()) {
    for (const match of readRepoFile(path).matchAll(/\b[A-Z][A-Z0-9_]{2,}\b/g)) candidates.add(match[0]);
  }
  return candidates;
}

/** `process.env.NAME` and `process.env["NAME"]` in `paths`: reads that bypass a config schema. */
export function directEnvReads(paths: readonly string[]): Set<string> {
  const names = new Set<string>();
  for (const path of paths) {
    const text = withoutComments(readRepoFile(path));
    for (const match of text.matchAll(
      /process\.env(?:\.([A-Z_][A-Z0-9_]*)|\[\s*["'`]([A-Z_][A-Z0-9_]*)["'`]\s*\])/g,
    ))
      names.add((match[1] ?? match[2]) as string);
  }
  return names;
}

/** Make's own variables and the Makefile's internal ones: not settings a user passes. */
const MAKE_BUILTINS = new Set(["MAKE", "MAKEFILE_LIST", "CURDIR", "PATH", "SHELL"]);

/**
 * Variables the make targets, deploy scripts, Compose file and test harness read from the environment: shell
 * `${NAME:-default}` (and `-`, `:+`, `+`, `:=`) expansions, which `set -u` scripts need for anything optional;
 * Compose's `${NAME:-default}` interpolation; `$(NAME)` in the Makefile that the Makefile does not set itself (and
 * `$(value NAME)`, `$(call quote,NAME)`, `$(call quote-words,NAME)`: a user's value passed on as data);
 * `process.env.NAME` in the test harness (harness/, its worker fixtures left out). The Kafka image's own launch scripts (podman stand-ins) are not ours.
 */
export function toolVariablesInCode(): Set<string> {
  const names = new Set<string>();
  const scripts = repoFiles("deploy/**/*.sh", "test/**/*.sh", "bench/**/*.sh", "docker-compose.yml").filter(
    (path) => !path.startsWith("deploy/podman/stand-ins/"),
  );
  for (const path of scripts) {
    for (const match of readRepoFile(path).matchAll(/\$\{([A-Z_][A-Z0-9_]*)(?::?[-+=])/g))
      names.add(match[1] as string);
  }
  const makefile = readRepoFile("Makefile");
  const setByMakefile = new Set(
    [...makefile.matchAll(/^(?:export\s+)?([A-Z_][A-Z0-9_]*)\s*[:?+]?=/gm)].map(
      (match) => match[1] as string,
    ),
  );
  for (const match of makefile.matchAll(/\$\((?:value |call quote(?:-words)?,)?([A-Z_][A-Z0-9_]*)\)/g)) {
    const name = match[1] as string;
    if (!setByMakefile.has(name) && !MAKE_BUILTINS.has(name)) names.add(name);
  }
  const harness = repoFiles("harness/**/*.ts").filter((path) => !path.startsWith("harness/fixtures/"));
  for (const name of directEnvReads(harness)) names.add(name);
  return names;
}

/** The Makefile's targets: the ones with a `## description`, which `make help` lists. */
export function makeTargets(): Set<string> {
  return new Set(
    [...readRepoFile("Makefile").matchAll(/^([a-z][a-z0-9-]*):.*##/gm)].map((match) => match[1] as string),
  );
}
