import { KafkaErrorCode } from "./errors.ts";

/**
 * What a person running the fleet can do about this library's failures, by code: the fleet's variables and its
 * local commands. The errors themselves state only the facts; a service passes this table to the service shell
 * (ServiceDefinition.failureHints), which adds the hint to the line the service exits with.
 */
export const kafkaFailureHints: Readonly<Record<string, (error: Error) => string>> = {
  [KafkaErrorCode.unreachable]: () =>
    "check KAFKA_BOOTSTRAP_SERVERS and that the cluster is running (make cluster-up)",
  [KafkaErrorCode.authenticationFailed]: (error) =>
    // A token provider's failure (OAuthBearerRefresh) names OAUTHBEARER; user names and passwords play no part.
    error.message.includes("OAUTHBEARER")
      ? "check the token provider (oauthBearerProvider): its logs (kafka.oauthbearer_failed) and the " +
        "tokens it returns, and KAFKA_CLIENT_SECURITY_PROTOCOL"
      : "check KAFKA_CLIENT_SASL_USERNAME, KAFKA_CLIENT_SASL_PASSWORD, KAFKA_CLIENT_SASL_MECHANISM and " +
        "KAFKA_CLIENT_SECURITY_PROTOCOL",
  [KafkaErrorCode.topicMissing]: (error) => {
    const topic = (error as { topic?: unknown }).topic;
    const name = typeof topic === "string" ? topic : "<topic>";
    return (
      `create it first (make cluster-up creates topic_app; deploy/local/cluster.sh topic ${name} creates others; ` +
      "make topic TOPIC=<input> a worker's input, its .dlq and .results)"
    );
  },
};
