// The variables every service of the fleet reads to reach its cluster, as zod schemas a service's own schema
// extends (libs/service's loadConfig reads them and reports every problem at once), and what they become.
import { z } from "zod";

import { readClientProperties } from "./client-properties.ts";
import type { ClientIdentity } from "./client-config.ts";

const HOST_PORT = /^(\[[0-9A-Fa-f:.]+(%[\w.-]+)?\]|[^\s:,[\]]+):\d{1,5}$/;
const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

/** Kafka's values as variables: each phrases what was expected, so a bad value exits 2 naming its variable. */
export const kafkaEnv = {
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

const CONNECT_TIMEOUT = "expected an integer from 1000 to 600000";

/**
 * The cluster variables of every service, with the defaults of docs/design.md, to extend a service's schema with.
 * The KAFKA_CLIENT_* variables, any number of them named by the user, are read from the loose rest by
 * toKafkaSettings.
 */
export const kafkaEnvShape = {
  KAFKA_BOOTSTRAP_SERVERS: kafkaEnv
    .hostPorts()
    .default(["localhost:9092", "localhost:9094", "localhost:9096"]),
  KAFKA_TOPIC: kafkaEnv.topic().default("topic_app"),
  KAFKA_CONNECT_TIMEOUT_MS: z
    .string()
    .trim()
    .regex(/^\d+$/, CONNECT_TIMEOUT)
    .transform(Number)
    .pipe(z.number().int().min(1000, CONNECT_TIMEOUT).max(600_000, CONNECT_TIMEOUT))
    .default(15_000),
};

type KafkaVars = z.output<z.ZodObject<typeof kafkaEnvShape>> & Readonly<Record<string, unknown>>;

/** What a service knows of its cluster. */
export interface KafkaSettings {
  readonly bootstrapServers: readonly string[];
  readonly topic: string;
  /** How long to try the cluster at start before giving up with a clear error. */
  readonly connectTimeoutMs: number;
  /** librdkafka properties from KAFKA_CLIENT_* (security, SASL, TLS, tuning), applied to every client. */
  readonly clientProperties: Readonly<Record<string, string>>;
}

/** Variables that cannot be used, each named with why: libs/service's loadConfig reports them as a config error. */
export class KafkaSettingsError extends Error {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(problems.join("; "));
    this.name = "KafkaSettingsError";
    this.problems = problems;
  }
}

/**
 * The cluster settings of variables read through kafkaEnvShape, the KAFKA_CLIENT_* ones checked (readClientProperties).
 * `isSecret` keeps a secret's value out of the problems. Throws a KafkaSettingsError naming each bad variable.
 */
export function toKafkaSettings(vars: KafkaVars, isSecret: (name: string) => boolean): KafkaSettings {
  const { properties, problems } = readClientProperties(vars, isSecret);
  if (problems.length > 0) throw new KafkaSettingsError(problems);
  return {
    bootstrapServers: vars.KAFKA_BOOTSTRAP_SERVERS,
    topic: vars.KAFKA_TOPIC,
    connectTimeoutMs: vars.KAFKA_CONNECT_TIMEOUT_MS,
    clientProperties: properties,
  };
}

/** The identity every client of a service shares, from its settings. */
export function clientIdentityOf(
  settings: Pick<KafkaSettings, "bootstrapServers" | "clientProperties">,
  service: string,
): ClientIdentity {
  return { bootstrapServers: settings.bootstrapServers, service, properties: settings.clientProperties };
}
