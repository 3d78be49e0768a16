// Helpers of the deployment checks: run a tool, read the deployment files as the tools that use them see them.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { parse as parseYaml } from "yaml";

import { REPO_ROOT, eventually, run, type RunResult } from "../../harness/process.ts";
import { codeSpans, tableAfter } from "../docs/markdown.ts";

// The deployment checks run tools and wait for things the way the rest of the harness does.
export { REPO_ROOT, eventually, run, type RunResult };
export const repoPath = (...parts: string[]) => join(REPO_ROOT, ...parts);

/** The three app services: compose service name = Dockerfile target = folder under services/. */
export const APP_SERVICES = ["producer", "single-consumer", "batch-consumer"] as const;

/** docs/design.md's pattern row for librdkafka properties: every KAFKA_CLIENT_* name, read by every service. */
export const CLIENT_PROPERTY_ROW = "KAFKA_CLIENT_<PROPERTY>";

/**
 * The variables docs/design.md's "Service environment" says each app service reads (the KAFKA_CLIENT_<PROPERTY>
 * row included as it is written), from the table itself, so that a variable added there is checked here too.
 */
export function documentedServiceEnv(): Record<(typeof APP_SERVICES)[number], string[]> {
  const documented = Object.fromEntries(APP_SERVICES.map((name) => [name, [] as string[]])) as Record<
    (typeof APP_SERVICES)[number],
    string[]
  >;
  const design = readFileSync(repoPath("docs/design.md"), "utf8");
  for (const [nameCell = "", , readBy = ""] of tableAfter(design, "Service environment")) {
    const readers =
      readBy === "all"
        ? APP_SERVICES
        : readBy === "consumers"
          ? (["single-consumer", "batch-consumer"] as const)
          : readBy.split(",").map((name) => name.trim() as (typeof APP_SERVICES)[number]);
    for (const reader of readers) {
      if (!(reader in documented)) throw new Error(`docs/design.md: unknown reader "${reader}"`);
      documented[reader].push(...codeSpans(nameCell));
    }
  }
  return documented;
}

/** The names deploy/compose/services.env passes on, with the value it gives or null for a name alone. */
export function servicesEnvFile(): Map<string, string | null> {
  const entries = new Map<string, string | null>();
  for (const line of readFileSync(repoPath("deploy/compose/services.env"), "utf8").split("\n")) {
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    const equals = trimmed.indexOf("=");
    if (equals === -1) entries.set(trimmed, null);
    else entries.set(trimmed.slice(0, equals), trimmed.slice(equals + 1));
  }
  return entries;
}

export function readYaml<T = unknown>(relativePath: string): T {
  return parseYaml(readFileSync(repoPath(relativePath), "utf8")) as T;
}

export interface ComposeService {
  image?: string;
  build?: { context: string; target?: string };
  container_name?: string;
  hostname?: string;
  ports?: string[];
  environment?: Record<string, string | number | boolean | null>;
  env_file?: string[];
  profiles?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  volumes?: string[];
  entrypoint?: string[];
  command?: string[];
  stop_grace_period?: string;
  init?: boolean;
  cap_drop?: string[];
  security_opt?: string[];
  read_only?: boolean;
  tmpfs?: string[];
  mem_limit?: string | number;
}
export interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

/**
 * The compose file as Compose itself resolves it (anchors, merges, env_file and ${VAR:-default} applied), for the
 * caller's environment `env` (undefined unsets a variable) and without the project's .env, which is the user's:
 * what a checkout with no .env and that environment would start.
 */
export async function resolvedCompose(env: NodeJS.ProcessEnv = {}): Promise<ComposeFile> {
  const dir = mkdtempSync(join(tmpdir(), "compose-env-"));
  try {
    writeFileSync(join(dir, "empty.env"), "");
    const result = await run("docker-compose", ["--env-file", join(dir, "empty.env"), "config"], { env });
    if (result.code !== 0) throw new Error(`docker-compose config failed: ${result.stderr}`);
    return parseYaml(result.stdout) as ComposeFile;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Environment values as the container sees them: strings. A name given alone with no value where Compose runs
 * (null) is not set in the container at all, so it is left out.
 */
export function envOf(service: ComposeService): Record<string, string> {
  return Object.fromEntries(
    Object.entries(service.environment ?? {})
      .filter(([, value]) => value !== null)
      .map(([key, value]) => [key, String(value)]),
  );
}

/** "20s", "1m30s", "500ms" -> milliseconds (Compose durations). */
export function durationMs(text: string): number {
  let total = 0;
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001 };
  const parts = text.matchAll(/(\d+(?:\.\d+)?)(ms|us|h|m|s)/g);
  for (const [, amount, unit] of parts) total += Number(amount) * (units[unit!] ?? Number.NaN);
  return total;
}

export interface DockerInstruction {
  stage: string;
  keyword: string;
  args: string;
}

/** The Dockerfile as a list of instructions (continuations joined, comments dropped), each with its stage name. */
export function dockerfileInstructions(): DockerInstruction[] {
  const text = readFileSync(repoPath("Dockerfile"), "utf8").replace(/\\\n/g, " ");
  const instructions: DockerInstruction[] = [];
  let stage = "";
  for (const line of text.split("\n")) {
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    const [, keyword = "", args = ""] = /^(\S+)\s*(.*)$/.exec(trimmed) ?? [];
    if (keyword.toUpperCase() === "FROM") stage = /\bAS\s+(\S+)/i.exec(args)?.[1] ?? "";
    instructions.push({ stage, keyword: keyword.toUpperCase(), args: args.replace(/\s+/g, " ") });
  }
  return instructions;
}

/** The HEALTHCHECK command of the Dockerfile, in exec form. */
export function dockerHealthcheck(): string[] {
  const healthcheck = dockerfileInstructions().find((i) => i.keyword === "HEALTHCHECK");
  const json = /\bCMD\s+(\[.*\])\s*$/.exec(healthcheck?.args ?? "")?.[1];
  if (json === undefined) throw new Error("the Dockerfile has no exec-form HEALTHCHECK CMD");
  return JSON.parse(json) as string[];
}

/** A TCP port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

export interface DashboardPanel {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  gridPos?: { h: number; w: number; x: number; y: number };
  targets?: Array<{ refId: string; expr: string; datasource?: { type: string; uid: string } }>;
}

export interface DashboardVariable {
  name: string;
  type: string;
  query?: string | { query: string };
  datasource?: { type: string; uid: string };
  current?: { text: unknown; value: unknown };
  includeAll?: boolean;
  allValue?: string;
}

export interface Dashboard {
  uid: string;
  title: string;
  templating: { list: DashboardVariable[] };
  panels: DashboardPanel[];
}

/** The provisioned dashboard (JSON.parse throws if it is not valid JSON). */
export function dashboard(): Dashboard {
  return JSON.parse(
    readFileSync(repoPath("deploy/grafana/dashboards/kafka-fleet.json"), "utf8"),
  ) as Dashboard;
}

/** Every PromQL query of the dashboard, with its panel's title. */
export function dashboardQueries(): Array<{ panel: string; expr: string }> {
  return dashboard().panels.flatMap((panel) =>
    (panel.targets ?? []).map(({ expr }) => ({ panel: panel.title, expr })),
  );
}

/** The metric names a query reads: ours (kafka_fleet_*) and prom-client's defaults (process_*, nodejs_*). */
export function metricNamesIn(expr: string): string[] {
  return [...expr.matchAll(/\b(?:kafka_fleet|process|nodejs)_[a-z0-9_]+\b/g)].map((match) => match[0]);
}
