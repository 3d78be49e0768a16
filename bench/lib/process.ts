import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { readFileSync, readdirSync } from "node:fs";
import { createInterface } from "node:readline";

/** What /proc says about a process at one instant. */
export interface ProcSample {
  /** performance-independent wall clock (ms), so samples line up with log timestamps. */
  readonly at: number;
  /** utime + stime, seconds. */
  readonly cpuSeconds: number;
  readonly rssBytes: number;
  /** VmHWM: the peak RSS so far. */
  readonly peakRssBytes: number;
}

const CLOCK_TICKS = 100; // sysconf(_SC_CLK_TCK) is 100 on every Linux we run on
const SAMPLE_EVERY_MS = 100;

/**
 * Reads CPU and memory of `pid` from /proc. Done by the harness, from outside, so that every client (Java,
 * Python, Node) is measured the same way and none has to report on itself. Undefined once the process is gone.
 */
export function sampleProc(pid: number): ProcSample | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces; fields after its closing parenthesis are fixed.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0);
    return {
      at: Date.now(),
      cpuSeconds: (utime + stime) / CLOCK_TICKS,
      rssBytes: kb("VmRSS") * 1024,
      peakRssBytes: kb("VmHWM") * 1024,
    };
  } catch {
    return undefined;
  }
}

/**
 * Command lines of another benchmark run, a kafka-fleet service, or a client this harness starts (the Java perf
 * tools included).
 */
const CLIENT_COMMAND =
  /bench\/main\.ts|services\/(producer|single-consumer|batch-consumer)\/src\/main\.ts|bench\/clients\/|seed_python\.py|org\.apache\.kafka\.tools\./;

/**
 * Benchmark runs, services and benchmark clients already running on this machine (a fleet from `make up-local`,
 * another `make bench`, the clients of an interrupted run): on two shared cores they would take CPU from every measurement. Found once,
 * before the run starts any client of its own.
 */
export function runningClients(): Array<{ pid: number; command: string }> {
  // This run and what started it (npm's shell, say) are not strays.
  const ours = new Set<number>();
  for (let pid = process.pid; pid > 1 && !ours.has(pid); pid = parentOf(pid)) ours.add(pid);
  const found: Array<{ pid: number; command: string }> = [];
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || ours.has(pid)) continue;
    try {
      const command = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
      if (CLIENT_COMMAND.test(command)) found.push({ pid, command });
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

function parentOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return 0;
  }
}

export interface Measured {
  readonly name: string;
  readonly child: ChildProcess;
  /** Every /proc sample taken so far (every 100 ms, and on demand with `mark`). */
  readonly samples: ProcSample[];
  /** Takes a sample now (e.g. when the client says it saw its first record); falls back to the last one. */
  mark(): ProcSample;
  /** Calls `listener` with every stdout line (stderr is kept for error messages). */
  onLine(listener: (line: string, at: number) => void): void;
  /** Resolves with the first stdout line that `match` accepts; rejects if the process exits first. */
  waitForLine<T>(match: (line: string) => T | undefined, timeoutMs: number): Promise<T>;
  stderrTail(): string;
  readonly exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const running = new Set<ChildProcess>();

/** Kills every client still running (an interrupted run must not leave processes behind). */
export function killAll(): void {
  for (const child of running) child.kill("SIGKILL");
}

/** Starts a client process and samples it from outside until it exits. */
export function startMeasured(
  name: string,
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Measured {
  const child = spawn(command, args, {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  const samples: ProcSample[] = [];
  const listeners: Array<(line: string, at: number) => void> = [];
  let stderr = "";
  let done = false;
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-8000);
  });
  let stdoutTail: string[] = [];
  createInterface({ input: child.stdout }).on("line", (line) => {
    const at = Date.now();
    stdoutTail.push(line);
    if (stdoutTail.length > 20) stdoutTail = stdoutTail.slice(-10);
    for (const listener of listeners) listener(line, at);
  });
  const take = () => {
    if (child.pid === undefined) return undefined;
    const sample = sampleProc(child.pid);
    if (sample !== undefined) samples.push(sample);
    return sample;
  };
  const timer = setInterval(take, SAMPLE_EVERY_MS);
  const exited = once(child, "exit").then(([code]) => {
    done = true;
    running.delete(child);
    clearInterval(timer);
    return code as number | null;
  });
  // A spawn failure (missing java, say) must not crash the harness; it shows as a failed run.
  child.on("error", (error) => (stderr += String(error)));
  take();

  const measured: Measured = {
    name,
    child,
    samples,
    mark: () => take() ?? samples.at(-1) ?? { at: Date.now(), cpuSeconds: 0, rssBytes: 0, peakRssBytes: 0 },
    onLine: (listener) => void listeners.push(listener),
    stderrTail: () => `${stderr.slice(-1500)} | last stdout: ${stdoutTail.slice(-3).join(" ").slice(-1000)}`,
    exited,
    waitForLine(match, timeoutMs) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`${name}: no expected line within ${timeoutMs} ms`)),
          timeoutMs,
        );
        listeners.push((line) => {
          const found = match(line);
          if (found !== undefined) {
            clearTimeout(timer);
            resolve(found);
          }
        });
        void exited.then((code) => {
          clearTimeout(timer);
          reject(new Error(`${name} exited (${code}) first; stderr: ${stderr.slice(-1500)}`));
        });
      });
    },
    async stop(signal = "SIGTERM") {
      if (!done) child.kill(signal);
      const killer = setTimeout(() => child.kill("SIGKILL"), 30_000);
      const code = await exited;
      clearTimeout(killer);
      return code;
    },
  };
  return measured;
}

/** Parses a JSON log line; undefined for anything else (a Java banner, say). */
export function jsonLine(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith("{")) return undefined;
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
