/** Stable codes for the failures a service reports; logs and tests refer to these, never to message text. */
export const ErrorCode = {
  configInvalid: "CONFIG_INVALID",
  portInUse: "PORT_IN_USE",
  hostUnavailable: "HOST_UNAVAILABLE",
  shutdownTimeout: "SHUTDOWN_TIMEOUT",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** An Error with a stable `code` and whether trying again could help: FleetError and libs/kafka's KafkaError. */
export interface CodedFailure extends Error {
  readonly code: string;
  readonly canRetry: boolean;
}

/**
 * Whether `value` is a CodedFailure. libs/kafka's errors have that shape without importing this package (that
 * library stays free of the service shell), so the retry decisions and the exit hints check the shape, not the
 * class; `instanceof FleetError` is the ordinary class check.
 */
export function isCodedFailure(value: unknown): value is CodedFailure {
  return (
    value instanceof Error &&
    typeof (value as { code?: unknown }).code === "string" &&
    typeof (value as { canRetry?: unknown }).canRetry === "boolean"
  );
}

/** Base of kafka-fleet's own errors: a stable `code`, and whether trying again could help. */
export class FleetError extends Error implements CodedFailure {
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

/** The message of any thrown value. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Any thrown value as an Error (a thrown string becomes an Error with that message). */
export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** The code and message of any thrown value, for one-line logs. */
export function describeError(error: unknown): { code: string; message: string } {
  if (isCodedFailure(error)) return { code: error.code, message: error.message };
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      code: typeof code === "string" || typeof code === "number" ? String(code) : error.name,
      message: error.message,
    };
  }
  return { code: "UNKNOWN", message: String(error) };
}

/**
 * A thrown value's fields for a log line: pino's `err` (type, message, stack, cause) and the stable `code` that
 * filters and dashboards select on.
 */
export function errorFields(error: unknown): { err: unknown; code: string } {
  return { err: error, code: describeError(error).code };
}

/**
 * What a person can do about a failure, by its code: libraries state what happened and the facts (which brokers,
 * which topic), and whoever runs them, knowing its variables and commands, gives the hints (libs/kafka's
 * kafkaFailureHints for its codes). Keys are the libraries' stable codes (docs/design.md).
 */
export type FailureHints = Readonly<Record<string, (error: CodedFailure) => string>>;

/** The hint for a failure's code, or undefined when there is none. */
export function failureHint(error: unknown, hints: FailureHints = {}): string | undefined {
  if (!isCodedFailure(error)) return undefined;
  return hints[error.code]?.(error);
}

/** describeError, its message followed by what to do when the code has a hint: the line a service exits with. */
export function describeFailure(error: unknown, hints: FailureHints = {}): { code: string; message: string } {
  const described = describeError(error);
  const hint = failureHint(error, hints);
  return hint === undefined ? described : { ...described, message: `${described.message}: ${hint}` };
}
