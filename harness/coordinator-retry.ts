import { setTimeout as sleep } from "node:timers/promises";

import { ErrorCodes } from "@kafka-fleet/kafka";

/**
 * A consumer group's coordinator still loading the group's offsets, or moving to another broker: what a group
 * request meets for a few seconds after a broker restarts. Kafka's own AdminClient retries these.
 */
const COORDINATOR_BUSY: readonly number[] = [
  ErrorCodes.ERR_COORDINATOR_LOAD_IN_PROGRESS,
  ErrorCodes.ERR_COORDINATOR_NOT_AVAILABLE,
  ErrorCodes.ERR_NOT_COORDINATOR,
];

export function isCoordinatorBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "number" && COORDINATOR_BUSY.includes(code);
}

/** Runs a group request again while its coordinator is busy, for up to `timeoutMs`; other failures at once. */
export async function whileCoordinatorBusy<T>(
  request: () => Promise<T>,
  timeoutMs: number,
  pauseMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await request();
    } catch (error) {
      if (!isCoordinatorBusy(error) || Date.now() + pauseMs > deadline) throw error;
      await sleep(pauseMs);
    }
  }
}
