import { ErrorCodes } from "./rdkafka.ts";

export const KafkaErrorCode = {
  unreachable: "KAFKA_UNREACHABLE",
  authenticationFailed: "KAFKA_AUTHENTICATION_FAILED",
  clientFailed: "KAFKA_CLIENT_FAILED",
  topicMissing: "TOPIC_MISSING",
  deliveryFailed: "DELIVERY_FAILED",
  commitFailed: "COMMIT_FAILED",
} as const;
export type KafkaErrorCode = (typeof KafkaErrorCode)[keyof typeof KafkaErrorCode];

/**
 * Base of this library's errors: a stable `code` and whether trying again could help, beside the facts (which
 * brokers, which topic). It says what happened, never what to do about it: which variable or command a person
 * should look at is the business of whoever runs the library (libs/service adds such hints by `code`).
 *
 * It has the shape of libs/service's FleetError (`code`, `canRetry`), and libs/service recognises a FleetError by
 * that shape rather than by class: this library stays free of the service shell, and `instanceof FleetError`
 * (exit codes, retry decisions) keeps holding for these errors.
 */
export class KafkaError extends Error {
  readonly code: KafkaErrorCode;
  readonly canRetry: boolean;

  constructor(code: KafkaErrorCode, message: string, options: { cause?: unknown; canRetry?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.canRetry = options.canRetry ?? false;
  }
}

/** librdkafka's ways of saying "no broker answered", for a connect or an admin request alike. */
const UNREACHABLE_CODES: ReadonlySet<number> = new Set([
  ErrorCodes.ERR__TRANSPORT,
  ErrorCodes.ERR__TIMED_OUT,
  ErrorCodes.ERR__ALL_BROKERS_DOWN,
  ErrorCodes.ERR__RESOLVE,
]);

/** Whether a librdkafka error code says that no broker answered. */
export function isUnreachableCode(code: unknown): boolean {
  return typeof code === "number" && UNREACHABLE_CODES.has(code);
}

/** The message of any thrown value. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The cluster could not be reached at start: the bootstrap list is wrong or the cluster is down. */
export class KafkaUnreachableError extends KafkaError {
  readonly bootstrapServers: readonly string[];
  readonly timeoutMs: number;

  constructor(bootstrapServers: readonly string[], timeoutMs: number, cause: unknown) {
    super(
      KafkaErrorCode.unreachable,
      `could not reach Kafka at ${bootstrapServers.join(",")} within ${timeoutMs} ms (${messageOf(cause)})`,
      { cause, canRetry: true },
    );
    this.bootstrapServers = bootstrapServers;
    this.timeoutMs = timeoutMs;
  }
}

/**
 * The brokers answered but refused the client's credentials (SASL): retrying with the same settings cannot help.
 * librdkafka reports this only as an error event while it keeps retrying, so the cause is remembered from there.
 */
export class KafkaAuthenticationError extends KafkaError {
  readonly bootstrapServers: readonly string[];

  constructor(
    bootstrapServers: readonly string[],
    cause: unknown,
    why = "the brokers refused the client's credentials",
  ) {
    super(
      KafkaErrorCode.authenticationFailed,
      `authentication failed at ${bootstrapServers.join(",")} (${why})`,
      { cause },
    );
    this.bootstrapServers = bootstrapServers;
  }
}

/** Watches a client's error events for a refused login, so a later timeout can be reported as what it is. */
export function authenticationWatch(): {
  onError: (error: { message: string }) => void;
  failed: () => boolean;
} {
  let failed = false;
  return {
    onError: (error) => {
      if (/authentication/i.test(error.message)) failed = true;
    },
    failed: () => failed,
  };
}

/**
 * The authentication failure behind a failed start or call, if it was one: no token from the provider
 * (`oauthBearer`, when the client has one), or a refusal `authentication` saw.
 */
export function authenticationFailure(
  bootstrapServers: readonly string[],
  cause: unknown,
  authentication: { failed(): boolean },
  oauthBearer?: { readonly lastFailure: string | undefined },
): KafkaAuthenticationError | undefined {
  const tokenFailure = oauthBearer?.lastFailure;
  if (tokenFailure !== undefined)
    return new KafkaAuthenticationError(bootstrapServers, cause, `no OAUTHBEARER token: ${tokenFailure}`);
  if (!authentication.failed()) return undefined;
  // The binding passes on librdkafka's code only ("authentication failure"), never the broker's reason.
  return oauthBearer === undefined
    ? new KafkaAuthenticationError(bootstrapServers, cause)
    : new KafkaAuthenticationError(
        bootstrapServers,
        cause,
        "the brokers refused the OAUTHBEARER token from the provider",
      );
}

/**
 * A topic that is needed does not exist. `label` is how the caller knows the topic (e.g. the setting that named
 * it), shown beside the name when given.
 */
export class TopicMissingError extends KafkaError {
  readonly topic: string;
  readonly label: string | undefined;

  constructor(topic: string, label?: string) {
    super(
      KafkaErrorCode.topicMissing,
      `topic ${topic}${label === undefined ? "" : ` (${label})`} does not exist`,
    );
    this.topic = topic;
    this.label = label;
  }
}

/** A message's delivery report carried an error. */
export class DeliveryError extends KafkaError {
  readonly topic: string;
  readonly kafkaCode: number;

  constructor(topic: string, cause: { message: string; code: number }) {
    super(KafkaErrorCode.deliveryFailed, `delivery to ${topic} failed: ${cause.message}`, {
      cause,
      canRetry: true,
    });
    this.topic = topic;
    this.kafkaCode = cause.code;
  }
}
