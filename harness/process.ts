// Running a command and waiting for a condition: what the tests, the chaos scenarios and the labs share.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The repository's root, with a trailing slash: where commands run unless told otherwise. */
export const REPO_ROOT = fileURLToPath(new URL("..", import.meta.url));

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion; a non-zero exit is a result to assert on, not an exception. */
export function run(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      {
        cwd: options.cwd ?? REPO_ROOT,
        env: { ...process.env, ...options.env },
        timeout: options.timeoutMs ?? 120_000,
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== "number") {
          // Killed by a signal (or a limit): say which, and what it had written, for the failure to be read.
          const how = error.signal === null || error.signal === undefined ? String(error.code) : error.signal;
          return reject(
            new Error(
              `${command} ${args.join(" ")}: ended by ${how}${error.killed === true ? " (timed out)" : ""}\n` +
                `stdout (end): ${stdout.slice(-3000)}\nstderr (end): ${stderr.slice(-2000)}`,
            ),
          );
        }
        resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
      },
    );
  });
}

/**
 * Polls `probe` until it returns a value other than undefined; rejects with `what` when the deadline passes, or at
 * once when `failFast` throws (e.g. a process the probe depends on has exited).
 */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  options: { timeoutMs?: number; failFast?: () => void } = {},
): Promise<T> {
  const { timeoutMs = 90_000, failFast = () => undefined } = options;
  const deadline = Date.now() + timeoutMs;
  let lastError = "";
  for (;;) {
    failFast();
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error instanceof Error ? error.message : JSON.stringify(error);
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${what}: not reached within ${timeoutMs} ms${lastError ? ` (last error: ${lastError})` : ""}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}
