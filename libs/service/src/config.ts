import { z } from "zod";

import { ConfigError, messageOf } from "./errors.ts";

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

  oneOf: <const T extends readonly [string, ...string[]]>(values: T) =>
    z
      .string()
      .trim()
      .toLowerCase()
      .pipe(z.enum(values, `expected one of ${values.join(", ")}`)),

  /** A comma-separated list of host:port pairs; an IPv6 address goes in brackets, as in `[::1]:9092`. */
  hostPorts: () =>
    z
      .string()
      .trim()
      .transform((value) => value.split(",").map((part) => part.trim()))
      .pipe(
        z
          .array(
            z
              .string()
              .regex(HOST_PORT, {
                message: "expected host:port[,host:port...] (IPv6 as [address]:port)",
                abort: true,
              })
              .refine(
                (hostPort) => {
                  const port = Number(hostPort.slice(hostPort.lastIndexOf(":") + 1));
                  return port >= 1 && port <= 65535;
                },
                { message: "expected a port from 1 to 65535" },
              ),
          )
          .min(1, "expected host:port[,host:port...]"),
      ),

  /**
   * A topic name as Kafka accepts it, checked here so that a typo exits 2 naming the variable instead of coming
   * back from the broker as "Invalid topic": 1 to 249 of [a-zA-Z0-9._-], and not "." or "..".
   */
  topic: () =>
    z
      .string()
      .trim()
      .regex(TOPIC_NAME, "expected a Kafka topic name: 1-249 characters of a-z A-Z 0-9 . _ -")
      .refine((name) => name !== "." && name !== "..", { message: 'a topic cannot be named "." or ".."' }),

  /**
   * A static member's id (group.instance.id), under the rules Kafka checks it by (those of a topic name), so that a
   * bad one exits 2 naming the variable instead of failing the join. One per replica: a pod's name fits.
   */
  groupInstanceId: () =>
    z
      .string()
      .trim()
      .regex(TOPIC_NAME, "expected 1-249 characters of a-z A-Z 0-9 . _ - (e.g. the pod's name)")
      .refine((id) => id !== "." && id !== "..", { message: 'a group instance id cannot be "." or ".."' }),
};

const HOST_PORT = /^(\[[0-9A-Fa-f:.]+(%[\w.-]+)?\]|[^\s:,[\]]+):\d{1,5}$/;
const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

/**
 * Variables every service reads, with the defaults of docs/design.md. Loose, so that the variables of client
 * properties (any number of them, named by the user) reach toCommonConfig.
 */
export const commonEnvSchema = z.looseObject({
  KAFKA_BOOTSTRAP_SERVERS: env.hostPorts().default(["localhost:9092", "localhost:9094", "localhost:9096"]),
  KAFKA_TOPIC: env.topic().default("topic_app"),
  METRICS_PORT: env.integer({ min: 0, max: 65535 }).default(9464),
  LOG_LEVEL: env.oneOf(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  SHUTDOWN_GRACE_MS: env.integer({ min: 100, max: 600_000 }).default(10_000),
  KAFKA_CONNECT_TIMEOUT_MS: env.integer({ min: 1000, max: 600_000 }).default(15_000),
});

export interface CommonConfig {
  readonly bootstrapServers: readonly string[];
  readonly topic: string;
  readonly metricsPort: number;
  readonly logLevel: string;
  readonly shutdownGraceMs: number;
  /** How long to try the cluster at start before giving up with a clear error. */
  readonly connectTimeoutMs: number;
  /** Client properties read from variables (KAFKA_CLIENT_*: security, SASL, TLS, tuning), for every client. */
  readonly clientProperties: Readonly<Record<string, string>>;
}

/**
 * Reads the client properties that variables set (libs/kafka's readClientProperties: the KAFKA_CLIENT_* rules and
 * librdkafka's verdict), so that a bad one exits 2 naming its variable instead of failing at connect. Passed in:
 * this lib knows no Kafka client. `isSecret` keeps a secret's value out of the problems.
 */
export type ClientPropertyReader = (
  vars: Readonly<Record<string, unknown>>,
  isSecret: (name: string) => boolean,
) => { properties: Record<string, string>; problems: string[] };

/** Without a reader, no client property is read. */
export function toCommonConfig(
  vars: z.output<typeof commonEnvSchema>,
  readClientProperties?: ClientPropertyReader,
): CommonConfig {
  return {
    clientProperties: checkedClientProperties(vars, readClientProperties),
    bootstrapServers: vars.KAFKA_BOOTSTRAP_SERVERS,
    topic: vars.KAFKA_TOPIC,
    metricsPort: vars.METRICS_PORT,
    logLevel: vars.LOG_LEVEL,
    shutdownGraceMs: vars.SHUTDOWN_GRACE_MS,
    connectTimeoutMs: vars.KAFKA_CONNECT_TIMEOUT_MS,
  };
}

/**
 * The client properties that the variables in `source` set, read exactly as the services read them (empty means
 * unset, secrets redacted): for a tool that reads no other service variable, such as the audit CLI. Throws a
 * ConfigError naming each bad variable.
 */
export function loadClientProperties(
  source: NodeJS.ProcessEnv,
  read: ClientPropertyReader,
): Readonly<Record<string, string>> {
  return loadConfig(z.looseObject({}), source, (vars) => checkedClientProperties(vars, read));
}

function checkedClientProperties(
  vars: Readonly<Record<string, unknown>>,
  read: ClientPropertyReader | undefined,
): Record<string, string> {
  if (read === undefined) return {};
  const { properties, problems } = read(vars, isSecret);
  if (problems.length > 0) throw new ConfigError(problems);
  return properties;
}

/**
 * Reads the environment once through `schema` (whose keys are variable names) and hands back a frozen, typed
 * object. Every problem is reported at once, each naming the variable, its value and what was expected.
 */
export function loadConfig<Schema extends z.ZodType, Config>(
  schema: Schema,
  source: NodeJS.ProcessEnv,
  toConfig: (vars: z.output<Schema>) => Config,
): Readonly<Config> {
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
    throw new ConfigError([messageOf(error)]);
  }
  return deepFreeze(config);
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
