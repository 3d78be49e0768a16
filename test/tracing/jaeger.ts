// Jaeger for the tracing tests: built from the Go module proxy if missing (deploy/tracing/jaeger.sh), started on
// free loopback ports, stopped when the test ends; and the few reads of its query API the tests make.
import { spawn } from "node:child_process";
import { createServer } from "node:net";

import { REPO_ROOT, run } from "../../harness/process.ts";

interface AfterHook {
  after(fn: () => Promise<void> | void): void;
}

/** A span as Jaeger's query API returns it (/api/traces): the fields the tests read. */
export interface JaegerSpan {
  readonly traceID: string;
  readonly spanID: string;
  readonly operationName: string;
  readonly processID: string;
  readonly references: ReadonlyArray<{
    refType: "CHILD_OF" | "FOLLOWS_FROM";
    traceID: string;
    spanID: string;
  }>;
}

export interface JaegerTrace {
  readonly traceID: string;
  readonly spans: readonly JaegerSpan[];
  readonly processes: Readonly<Record<string, { serviceName: string }>>;
}

export interface Jaeger {
  /** Where services send OTLP over HTTP (OTEL_EXPORTER_OTLP_ENDPOINT). */
  readonly otlpEndpoint: string;
  /** Jaeger's query API. */
  readonly queryUrl: string;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Builds Jaeger when it is not in the cache yet (minutes, once), then runs it until the test ends. */
export async function startJaeger(t: AfterHook): Promise<Jaeger> {
  const built = await run("bash", [`${REPO_ROOT}deploy/tracing/jaeger.sh`, "path"], {
    timeoutMs: 40 * 60_000,
  });
  if (built.code !== 0) throw new Error(`building Jaeger failed:\n${built.stderr}`);
  const otlpPort = await freePort();
  const uiPort = await freePort();
  const child = spawn("bash", [`${REPO_ROOT}deploy/tracing/jaeger.sh`, "run"], {
    env: { ...process.env, JAEGER_OTLP_PORT: String(otlpPort), JAEGER_UI_PORT: String(uiPort) },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  t.after(async () => {
    if (child.exitCode === null) {
      child.kill("SIGTERM");
      await new Promise((resolve) => child.once("exit", resolve));
    }
  });
  const queryUrl = `http://127.0.0.1:${uiPort}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`Jaeger exited (${child.exitCode}):\n${stderr}`);
    try {
      if ((await fetch(`${queryUrl}/api/services`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`Jaeger's query API did not answer within 60 s:\n${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return { otlpEndpoint: `http://127.0.0.1:${otlpPort}`, queryUrl };
}

/** One trace by id, or undefined while Jaeger does not have it. */
export async function traceById(jaeger: Jaeger, traceId: string): Promise<JaegerTrace | undefined> {
  const response = await fetch(`${jaeger.queryUrl}/api/traces/${traceId}`);
  if (response.status === 404) return undefined;
  if (!response.ok)
    throw new Error(`GET /api/traces/${traceId}: ${response.status} ${await response.text()}`);
  const body = (await response.json()) as { data?: JaegerTrace[] };
  return body.data?.[0];
}

/** "service: operation" of every span of a trace, sorted: what a failed assertion shows. */
export function describeTrace(trace: JaegerTrace): string[] {
  return trace.spans
    .map((span) => `${trace.processes[span.processID]?.serviceName ?? "?"}: ${span.operationName}`)
    .sort();
}

/** The service that emitted a span. */
export function serviceOf(trace: JaegerTrace, span: JaegerSpan): string | undefined {
  return trace.processes[span.processID]?.serviceName;
}
