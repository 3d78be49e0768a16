import type { ClientIdentity } from "./client-config.ts";
import {
  KafkaError,
  KafkaErrorCode,
  KafkaUnreachableError,
  authenticationFailure,
  authenticationWatch,
  isUnreachableCode,
  messageOf,
} from "./errors.ts";
import type { OAuthBearerRefresh } from "./oauthbearer.ts";

interface Connectable {
  connect(options: { timeout?: number }, callback: (error: unknown) => void): unknown;
  on(event: "event.error", listener: (error: { message: string }) => void): unknown;
  on(event: "error", listener: (error: unknown) => void): unknown;
  off(event: "event.error", listener: (error: { message: string }) => void): unknown;
}

/**
 * Connects a client (fetching cluster metadata) within `timeoutMs`, or fails with a KafkaUnreachableError that
 * says which servers were tried: a wrong address must not look like a hang. A client built with a token provider
 * (`oauthBearer`, named `name` in its logs) has its token failures heard for as long as it lives, and a start
 * without a token, or with one the brokers refused, fails as an authentication failure saying so.
 */
export function connectClient(
  client: Connectable,
  bootstrapServers: readonly string[],
  timeoutMs: number,
  oauthBearer?: { refresh: OAuthBearerRefresh; name: string },
): Promise<void> {
  const authentication = authenticationWatch();
  client.on("event.error", authentication.onError);
  if (oauthBearer !== undefined) client.on("error", oauthBearer.refresh.errorListener(oauthBearer.name));
  return new Promise<void>((resolve, reject) => {
    client.connect({ timeout: timeoutMs }, (error) => {
      client.off("event.error", authentication.onError);
      if (!error) return resolve();
      reject(
        authenticationFailure(bootstrapServers, error, authentication, oauthBearer?.refresh) ??
          (isUnreachableCode((error as { code?: unknown }).code)
            ? new KafkaUnreachableError(bootstrapServers, timeoutMs, error)
            : new KafkaError(
                KafkaErrorCode.clientFailed,
                `the Kafka client did not start: ${messageOf(error)}`,
                {
                  cause: error,
                },
              )),
      );
    });
  });
}

/** What connectClient needs of a client's token provider, named as baseClientConfig names it; none without one. */
export function tokenRefreshOf(
  identity: ClientIdentity,
  purpose?: string,
): { refresh: OAuthBearerRefresh; name: string } | undefined {
  return identity.oauthBearer === undefined
    ? undefined
    : { refresh: identity.oauthBearer, name: purpose ?? identity.service };
}
