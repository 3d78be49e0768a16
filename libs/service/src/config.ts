import { isIP } from "node:net";

import { tracingSettings } from "@kafka-fleet/tracing";
import { z } from "zod";

import { ConfigError, messageOf } from "./errors.ts";
import { readFileVariables } from "./file-variables.ts";

/**
 * Environment variables arrive as strings (or not at all). These builders turn one variable into a typed value
 * and phrase what was expected, so a bad value's message can name the variable, the value and the expectation.
 */
export const env = {
  string: () => z.string().trim().min(1, "expected a non-empty string"),

  /** Unset and empty both mean "not set". */
  optionalString: () =>
    z
      .string()
      .trim()
      .optional()
      .transform((value) => (value === "" ? undefined : value)),

  integer: (options: { min?: number; max?: number } = {}) => {
    const { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = options;
    const expected = `expected an integer from ${min} to ${max}`;
    return z
      .string()
      .trim()
      .regex(/^[-+]?\d+$/, expected)
      .transform(Number)
      .pipe(z.number().int(expected).min(min, expected).max(max, expected));
  },

  /** An int64, as a bigint: for values that are data (e.g. a range of values to produce), not sizes. */
  bigint: () =>
    z
      .string()
      .trim()
      .regex(/^[-+]?\d+$/, "expected an integer")
      .transform((value) => BigInt(value))
      .refine((value) => value >= -(2n ** 63n) && value < 2n ** 63n, "expected a 64-bit signed integer"),

  /** An address to listen on: an IPv4 or IPv6 address (no brackets), or a host name. */
  listenHost: () =>
    z
      .string()
      .trim()
      .refine(
        (value) =>
          isIP(value) !== 0 ||
          /^(?=.{1,253}$)[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)*$/.test(
            value,
          ),
        "expected an address to listen on: 127.0.0.1 (this machine only), 0.0.0.0 (every interface), :: or a host name",
      ),

  oneOf: <const T extends readonly [string, ...string[]]>(values: T) =>
    z
      .string()
      .trim()
      .toLowerCase()
      .pipe(z.enum(values, `expected one of ${values.join(", ")}`)),
};

/**
 * Variables every service reads, with the defaults of docs/design.md. Loose: a service extends it with its own
 * (and its client's: libs/kafka's kafkaEnvShape), and variables it does not name reach its toConfig untouched.
 */
export const serviceEnvSchema = z.looseObject({
  // This machine only, unless asked: /metrics and the probes are unauthenticated. Containers set 0.0.0.0 (the
  // images' ENV), as a scraper reaches them from outside.
  METRICS_HOST: env.listenHost().default("127.0.0.1"),
  METRICS_PORT: env.integer({ min: 0, max: 65535 }).default(9464),
  LOG_LEVEL: env.oneOf(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  SHUTDOWN_GRACE_MS: env.integer({ min: 100, max: 600_000 }).default(10_000),
  // Tracing (libs/tracing): checked here, so that a bad value is refused with the others; the OpenTelemetry SDK
  // reads these and the other OTEL_* variables from the environment itself.
  OTEL_EXPORTER_OTLP_ENDPOINT: env.optionalString(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: env.optionalString(),
  OTEL_TRACES_EXPORTER: env.optionalString(),
  OTEL_SDK_DISABLED: env.optionalString(),
});

export interface ServiceConfig {
  readonly metricsHost: string;
  readonly metricsPort: number;
  readonly logLevel: string;
  readonly shutdownGraceMs: number;
  /** Whether the OTEL_* variables turn tracing on (the endpoint it exports to, if one is named). */
  readonly tracing: { readonly enabled: boolean; readonly endpoint?: string };
}

export function toServiceConfig(vars: z.output<typeof serviceEnvSchema>): ServiceConfig {
  return {
    metricsHost: vars.METRICS_HOST,
    metricsPort: vars.METRICS_PORT,
    logLevel: vars.LOG_LEVEL,
    shutdownGraceMs: vars.SHUTDOWN_GRACE_MS,
    tracing: tracingSettings({
      OTEL_EXPORTER_OTLP_ENDPOINT: vars.OTEL_EXPORTER_OTLP_ENDPOINT,
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: vars.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
      OTEL_TRACES_EXPORTER: vars.OTEL_TRACES_EXPORTER,
      OTEL_SDK_DISABLED: vars.OTEL_SDK_DISABLED,
    }),
  };
}

/**
 * Reads the environment once through `schema` (whose keys are variable names) and hands back a frozen, typed
 * object. Every problem is reported at once, each naming the variable, its value and what was expected.
 * A variable the schema names, or one `readBeside` accepts, may instead be given as <NAME>_FILE: the path of a file
 * holding its value (readFileVariables), as secret stores mount them.
 */
export function loadConfig<Schema extends z.ZodType, Config>(
  schema: Schema,
  source: NodeJS.ProcessEnv,
  toConfig: (vars: z.output<Schema>) => Config,
  /**
   * The variables `toConfig` reads beside the schema, by a library's own rule (libs/kafka's any KAFKA_CLIENT_*,
   * isClientPropertyVariable): they may carry credentials, so their <NAME>_FILE form counts too.
   */
  readBeside: (name: string) => boolean = () => false,
): Readonly<Config> {
  const declared = schema instanceof z.ZodObject ? new Set(Object.keys(schema.shape)) : new Set<string>();
  source = readFileVariables(source, (name) => declared.has(name) || readBeside(name));
  const emptyAsUnset = Object.fromEntries(
    Object.entries(source).filter(([, value]) => value !== undefined && value.trim() !== ""),
  );
  const result = schema.safeParse(emptyAsUnset);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => {
        // Deeper paths (an element of a list) still belong to the variable named first.
        const name = issue.path.length > 0 ? String(issue.path[0]) : "";
        const value = !(name in source)
          ? "unset"
          : isSecret(name)
            ? "<redacted>"
            : JSON.stringify(source[name]);
        return `${name || "environment"}=${value}: ${issue.message}`;
      }),
    );
  }
  let config: Config;
  try {
    config = toConfig(result.data);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    // A library's own list of problems (libs/kafka's KafkaSettingsError), each naming its variable.
    if (hasProblems(error)) throw new ConfigError(error.problems);
    throw new ConfigError([messageOf(error)]);
  }
  return deepFreeze(config);
}

function hasProblems(error: unknown): error is { problems: readonly string[] } {
  const problems = (error as { problems?: unknown } | null)?.problems;
  return Array.isArray(problems) && problems.length > 0 && problems.every((p) => typeof p === "string");
}

function deepFreeze<T>(value: T): Readonly<T> {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/**
 * Names (variables or librdkafka properties) whose values must never reach a log line or an error message.
 * sasl.oauthbearer.config counts: it can carry an OIDC client secret.
 */
export function isSecret(name: string): boolean {
  return /PASSWORD|PASSPHRASE|SECRET|JAAS|PEM|CREDENTIAL|OAUTHBEARER[._]CONFIG|(^|[._])TOKEN($|[._](?!ENDPOINT))/i.test(
    name,
  );
}
