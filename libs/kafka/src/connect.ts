import { KafkaUnreachableError } from "./errors.ts";

interface Connectable {
  connect(options: { timeout?: number }, callback: (error: unknown) => void): unknown;
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
  return new Promise<void>((resolve, reject) => {
    client.connect({ timeout: timeoutMs }, (error) => {
      if (error) reject(new KafkaUnreachableError(bootstrapServers, timeoutMs, error));
      else resolve();
    });
  });
}
