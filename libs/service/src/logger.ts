import { pino, type Logger } from "pino";

export type { Logger } from "pino";

export interface LoggerOptions {
  readonly service: string;
  readonly level: string;
  /** Human-readable lines instead of JSON; defaults to "stdout is a terminal". */
  readonly pretty?: boolean;
}

/**
 * JSON lines on stdout, one object per event, each carrying `service`. Logs are events
 * (`{event: "batch.committed", ...}`), not prose, so they can be counted and filtered.
 */
export function createLogger(options: LoggerOptions): Logger {
  const pretty = options.pretty ?? process.stdout.isTTY === true;
  return pino({
    level: options.level,
    base: { service: options.service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    // Records carry bigint values; JSON has no bigint, so they are written as decimal strings.
    hooks: {
      logMethod(args, method) {
        const [first, ...rest] = args;
        if (first !== null && typeof first === "object" && !(first instanceof Error)) {
          method.apply(this, [withBigIntsAsStrings(first as Record<string, unknown>), ...rest] as Parameters<
            typeof method
          >);
          return;
        }
        method.apply(this, args);
      },
    },
    ...(pretty
      ? { transport: { target: "pino-pretty", options: { colorize: true, ignore: "pid,hostname" } } }
      : {}),
  });
}

function withBigIntsAsStrings(fields: Record<string, unknown>): Record<string, unknown> {
  let copy: Record<string, unknown> | undefined;
  for (const [key, value] of Object.entries(fields)) {
    if (typeof value === "bigint") {
      copy ??= { ...fields };
      copy[key] = value.toString();
    }
  }
  return copy ?? fields;
}
