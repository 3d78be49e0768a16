/** Stable codes for the failures a service reports; logs and tests refer to these, never to message text. */
export const ErrorCode = {
  configInvalid: "CONFIG_INVALID",
  portInUse: "PORT_IN_USE",
  shutdownTimeout: "SHUTDOWN_TIMEOUT",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Base of kafka-fleet's own errors: a stable `code`, and whether trying again could help. */
export class FleetError extends Error {
  readonly code: string;
  readonly canRetry: boolean;

  constructor(code: string, message: string, options: { cause?: unknown; canRetry?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.canRetry = options.canRetry ?? false;
  }
}

/** One or more environment variables hold values the service cannot run with. Exit code 2. */
export class ConfigError extends FleetError {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(ErrorCode.configInvalid, `invalid configuration: ${problems.join("; ")}`);
    this.problems = problems;
  }
}

/** The message of any thrown value, for one-line logs. */
export function describeError(error: unknown): { code: string; message: string } {
  if (error instanceof FleetError) return { code: error.code, message: error.message };
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      code: typeof code === "string" || typeof code === "number" ? String(code) : error.name,
      message: error.message,
    };
  }
  return { code: "UNKNOWN", message: String(error) };
}
