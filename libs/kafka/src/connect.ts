import {
  KafkaAuthenticationError,
  KafkaError,
  KafkaErrorCode,
  KafkaUnreachableError,
  authenticationWatch,
  isUnreachableCode,
  messageOf,
} from "./errors.ts";
import type { KafkaLogger } from "./instruments.ts";

interface Connectable {
  connect(options: { timeout?: number }, callback: (error: unknown) => void): unknown;
  on(event: "event.error", listener: (error: { message: string }) => void): unknown;
  off(event: "event.error", listener: (error: { message: string }) => void): unknown;
}

/**
 * Connects a client (fetching cluster metadata) within `timeoutMs`, or fails with a KafkaUnreachableError that
 * says which servers were tried: a wrong address must not look like a hang.
 */
export function connectClient(
  client: Connectable,
  bootstrapServers: readonly string[],
  timeoutMs: number,
): Promise<void> {
  const authentication = authenticationWatch();
  client.on("event.error", authentication.onError);
  return new Promise<void>((resolve, reject) => {
    client.connect({ timeout: timeoutMs }, (error) => {
      client.off("event.error", authentication.onError);
      if (!error) return resolve();
      reject(
        authentication.failed()
          ? new KafkaAuthenticationError(bootstrapServers, error)
          : isUnreachableCode((error as { code?: unknown }).code)
            ? new KafkaUnreachableError(bootstrapServers, timeoutMs, error)
            : new KafkaError(
                KafkaErrorCode.clientFailed,
                `the Kafka client did not start: ${messageOf(error)}`,
                {
                  cause: error,
                },
              ),
      );
    });
  });
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
