import { FleetError } from "@kafka-fleet/service";

export const KafkaErrorCode = {
  unreachable: "KAFKA_UNREACHABLE",
  authenticationFailed: "KAFKA_AUTHENTICATION_FAILED",
  clientFailed: "KAFKA_CLIENT_FAILED",
  topicMissing: "TOPIC_MISSING",
  topicMismatch: "TOPIC_MISMATCH",
  deliveryFailed: "DELIVERY_FAILED",
  commitFailed: "COMMIT_FAILED",
} as const;
export type KafkaErrorCode = (typeof KafkaErrorCode)[keyof typeof KafkaErrorCode];

/** The cluster could not be reached at start: the bootstrap list is wrong or the cluster is down. Exit 1. */
export class KafkaUnreachableError extends FleetError {
  constructor(bootstrapServers: readonly string[], timeoutMs: number, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(
      KafkaErrorCode.unreachable,
      `could not reach Kafka at ${bootstrapServers.join(",")} within ${timeoutMs} ms (${reason}): ` +
        "check KAFKA_BOOTSTRAP_SERVERS and that the cluster is running (make cluster-up)",
      { cause, canRetry: true },
    );
  }
}

/**
 * The brokers answered but refused the client's credentials (SASL): retrying with the same settings cannot help.
 * librdkafka reports this only as an error event while it keeps retrying, so the cause is remembered from there.
 */
export class KafkaAuthenticationError extends FleetError {
  constructor(bootstrapServers: readonly string[], cause: unknown) {
    super(
      KafkaErrorCode.authenticationFailed,
      `authentication failed at ${bootstrapServers.join(",")}: the brokers refused the client's credentials; ` +
        "check KAFKA_CLIENT_SASL_USERNAME, KAFKA_CLIENT_SASL_PASSWORD, KAFKA_CLIENT_SASL_MECHANISM and " +
        "KAFKA_CLIENT_SECURITY_PROTOCOL",
      { cause },
    );
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

/** A topic exists with settings other than the ones asked for; using it silently would weaken guarantees. */
export class TopicMismatchError extends FleetError {
  constructor(topic: string, problems: readonly string[]) {
    super(KafkaErrorCode.topicMismatch, `topic ${topic} exists with other settings: ${problems.join("; ")}`);
  }
}

/** A message's delivery report carried an error. */
export class DeliveryError extends FleetError {
  readonly kafkaCode: number;

  constructor(topic: string, cause: { message: string; code: number }) {
    super(KafkaErrorCode.deliveryFailed, `delivery to ${topic} failed: ${cause.message}`, {
      cause,
      canRetry: true,
    });
    this.kafkaCode = cause.code;
  }
}
