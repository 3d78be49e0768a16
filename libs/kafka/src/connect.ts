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
import type { KafkaLogger } from "./instruments.ts";
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

/** How often one client may log the same librdkafka error text. */
const CLIENT_ERROR_LOG_INTERVAL_MS = 5_000;

/**
 * A listener for librdkafka's 'event.error': a broker going away makes every connection report it, dozens of
 * times a second, and the code arrives as -1 (only the text survives). Each distinct text is logged at most
 * every few seconds, with how many were folded into it.
 */
export function throttledClientErrorLog(
  logger: KafkaLogger,
  client: string,
): (error: { message: string }) => void {
  const lastLogged = new Map<string, { at: number; folded: number }>();
  return (error) => {
    const now = Date.now();
    const seen = lastLogged.get(error.message);
    if (seen !== undefined && now - seen.at < CLIENT_ERROR_LOG_INTERVAL_MS) {
      seen.folded += 1;
      return;
    }
    logger.warn({ event: "kafka.client_error", client, repeated: seen?.folded ?? 0 }, error.message);
    lastLogged.set(error.message, { at: now, folded: 0 });
  };
}
