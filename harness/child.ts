import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { appendFileSync, mkdirSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { createInterface } from "node:readline";

export interface LogLine {
  readonly event?: string;
  readonly level?: string;
  readonly [field: string]: unknown;
}

export interface RunningChild {
  readonly child: ChildProcess;
  /** Which process, for messages: its entry (`batch-consumer-main`, `fixtures-delaying-single-consumer`) and pid. */
  readonly name: string;
  /** Every JSON log line so far, in order. */
  readonly logs: LogLine[];
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Resolves with the first log line whose `event` matches; rejects if the process exits first or on timeout. */
  waitForEvent(event: string, timeoutMs?: number, predicate?: (line: LogLine) => boolean): Promise<LogLine>;
  /** Resolves when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  signal(name: NodeJS.Signals): void;
}

const TSX_LOADER = "tsx";

/** Sees every log line of every child started from now on; the labs narrate what their processes do with it. */
let observer: ((line: LogLine) => void) | undefined;
export function observeChildren(watch: ((line: LogLine) => void) | undefined): void {
  observer = watch;
}

/**
 * Starts a TypeScript entry point as its own Node process, the way the images and the local runner do
 * (node --import tsx, no npm in between, so signals reach the service itself), and follows its JSON logs.
 */
export function startChild(entry: string, env: NodeJS.ProcessEnv, cwd?: string): RunningChild {
  const child = spawn(process.execPath, ["--import", TSX_LOADER, entry], {
    cwd,
    env: { ...process.env, LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: LogLine[] = [];
  const waiters = new Set<() => void>();
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  // FLEET_TEST_LOG_DIR=<dir> keeps every child's log lines in <dir>/<entry>-<pid>.log, for a run to be read later.
  const label = `${basename(dirname(dirname(entry)))}-${basename(entry, ".ts")}`;
  const logDir = process.env.FLEET_TEST_LOG_DIR;
  if (logDir !== undefined) mkdirSync(logDir, { recursive: true });
  const logFile = logDir === undefined ? undefined : join(logDir, `${label}-${child.pid ?? "x"}.log`);
  createInterface({ input: child.stdout }).on("line", (text) => {
    if (logFile !== undefined) appendFileSync(logFile, `${text}\n`);
    try {
      logs.push(JSON.parse(text) as LogLine);
    } catch {
      logs.push({ event: "non-json", text });
    }
    observer?.(logs.at(-1)!);
    for (const wake of waiters) wake();
  });
  const exited = once(child, "exit").then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));
  let hasExited = false;
  void exited.then(() => {
    hasExited = true;
    for (const wake of waiters) wake();
  });

  return {
    child,
    name: `${label} (pid ${child.pid ?? "?"})`,
    logs,
    exited,
    stderr: () => stderr,
    signal: (name) => void child.kill(name),
    waitForEvent(event, timeoutMs = 30_000, predicate = () => true) {
      return new Promise<LogLine>((resolve, reject) => {
        const check = () => {
          const found = logs.find((line) => line.event === event && predicate(line));
          if (found) return finish(() => resolve(found));
          if (hasExited) {
            // The exit's reason is in its last log lines (pino writes to stdout), not on stderr.
            const last = logs.slice(-6).map((line) => JSON.stringify(line).slice(0, 400));
            const status = `exit code ${child.exitCode ?? "-"}, signal ${child.signalCode ?? "-"}`;
            finish(() =>
              reject(
                new Error(
                  `${entry} exited (${status}) before logging ${event}; last: ${last.join(" | ")}; stderr: ${stderr.slice(-2000)}`,
                ),
              ),
            );
          }
        };
        const timer = setTimeout(() => {
          const recent = logs.slice(-4).map((line) => JSON.stringify(line).slice(0, 300));
          finish(() =>
            reject(
              new Error(`${entry} logged no ${event} within ${timeoutMs} ms; last: ${recent.join(" | ")}`),
            ),
          );
        }, timeoutMs);
        const finish = (settle: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          settle();
        };
        waiters.add(check);
        check();
      });
    },
  };
}

/** Stops a child if a test left it running, so no test leaks processes into the next one. */
export async function killIfRunning(running: RunningChild): Promise<void> {
  if (running.child.exitCode === null && running.child.signalCode === null) {
    running.child.kill("SIGKILL");
    await running.exited;
  }
}
