// What librdkafka says, in the service's own JSON log: its errors ('event.error') and its log lines ('event.log').
// Both can come dozens of times a second when a broker goes away, so each kind is logged at most every few seconds,
// with how many were folded into it.
import type { KafkaLogger } from "./instruments.ts";

/** How often one client may log the same kind of librdkafka error or warning. */
export const CLIENT_LOG_INTERVAL_MS = 5_000;

/** librdkafka's log lines take syslog severities: 0 (emergency) to 7 (debug); 4 is a warning. */
const WARNING_SEVERITY = 4;

/** One line of librdkafka's log, as the binding's 'event.log' hands it over. */
export interface ClientLogLine {
  readonly severity: number;
  /** librdkafka's facility: what the line is about (SESSTMOUT, MAXPOLL, FAIL, HEARTBEAT, ...). */
  readonly fac: string;
  readonly message: string;
}

/**
 * Calls `log` with the number of calls folded since it last let one through, or not at all when the same key was let
 * through less than `intervalMs` ago.
 */
function foldedByKey(
  intervalMs: number,
  now: () => number,
): (key: string, log: (repeated: number) => void) => void {
  const lastLogged = new Map<string, { at: number; folded: number }>();
  return (key, log) => {
    const at = now();
    const seen = lastLogged.get(key);
    if (seen !== undefined && at - seen.at < intervalMs) {
      seen.folded += 1;
      return;
    }
    log(seen?.folded ?? 0);
    lastLogged.set(key, { at, folded: 0 });
  };
}

/**
 * A listener for librdkafka's 'event.error': a broker going away makes every connection report it, and the code
 * arrives as -1 (only the text survives). Each distinct text is logged at most every CLIENT_LOG_INTERVAL_MS.
 */
export function throttledClientErrorLog(
  logger: KafkaLogger,
  client: string,
  now: () => number = Date.now,
): (error: { message: string }) => void {
  const fold = foldedByKey(CLIENT_LOG_INTERVAL_MS, now);
  return (error) =>
    fold(error.message, (repeated) =>
      logger.warn({ event: "kafka.client_error", client, repeated }, error.message),
    );
}

/**
 * A listener for librdkafka's 'event.log'. Its warnings are what explain a consumer's lost partitions (SESSTMOUT: no
 * answered heartbeat for session.timeout.ms; MAXPOLL: no poll for max.poll.interval.ms), which no error event
 * reports: they are logged at warn, each facility at most every CLIENT_LOG_INTERVAL_MS. Its other lines (the
 * traces KAFKA_CLIENT_DEBUG asks for among them) are logged at debug, all of them, for LOG_LEVEL=debug to show.
 */
export function clientLogListener(
  logger: KafkaLogger,
  client: string,
  now: () => number = Date.now,
): (line: ClientLogLine) => void {
  const fold = foldedByKey(CLIENT_LOG_INTERVAL_MS, now);
  return (line) => {
    const fields = { event: "kafka.client_log", client, facility: line.fac, severity: line.severity };
    if (line.severity > WARNING_SEVERITY) return logger.debug(fields, line.message);
    fold(line.fac, (repeated) => logger.warn({ ...fields, repeated }, line.message));
  };
}

/** What logClientEvents needs of a client: the binding's producers and consumers. */
interface LoggingClient {
  on(event: "event.error", listener: (error: { message: string }) => void): unknown;
  on(event: "event.log", listener: (line: ClientLogLine) => void): unknown;
}

/** Puts a client's errors and log lines in the service's log, named `client` there ("consumer", "producer"). */
export function logClientEvents(client: LoggingClient, logger: KafkaLogger, name: string): void {
  client.on("event.error", throttledClientErrorLog(logger, name));
  client.on("event.log", clientLogListener(logger, name));
}
