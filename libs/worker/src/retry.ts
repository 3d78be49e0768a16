import { setTimeout as sleep } from "node:timers/promises";

import { backoffDelayMs, type RetryRules } from "@kafka-fleet/processing";
import { FleetError, describeError, type Logger } from "@kafka-fleet/service";

export const PROCESSING_FAILED = "PROCESSING_FAILED";
export const PROCESSING_INTERRUPTED = "PROCESSING_INTERRUPTED";

/**
 * Runs `work`, retrying failures with exponential backoff. When the retries are used up (or a stop was asked
 * for) it throws: the records stay uncommitted and come back, which beats skipping them.
 */
export async function withRetries(
  work: () => Promise<void>,
  options: { rules: RetryRules; logger: Logger; signal: AbortSignal; what: Record<string, unknown> },
): Promise<void> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      await work();
      return;
    } catch (error) {
      const { code, message } = describeError(error);
      if (options.signal.aborted) {
        // Stopping is no verdict on the records: they stay uncommitted and are processed after the restart.
        throw new FleetError(PROCESSING_INTERRUPTED, `processing interrupted by a stop: ${message}`, {
          cause: error,
          canRetry: true,
        });
      }
      if (attempt >= options.rules.retries) {
        throw new FleetError(
          PROCESSING_FAILED,
          `processing failed after ${attempt + 1} attempts: ${message}`,
          {
            cause: error,
          },
        );
      }
      const delayMs = backoffDelayMs(attempt + 1, options.rules);
      options.logger.warn(
        { event: "processing.retry", ...options.what, attempt: attempt + 1, delayMs, code },
        message,
      );
      await sleep(delayMs);
    }
  }
}

/**
 * Whether a failure is the infrastructure's (a broker unreachable, a delivery timed out) rather than the data's.
 * Such a failure must not send records to the dead-letter topic: they are fine, and will be processed once
 * the cluster is back. Data failures (the handler rejecting a value) go to the dead-letter topic.
 */
export function isTransientFailure(error: unknown): boolean {
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    if (current instanceof FleetError && current.canRetry) return true;
  }
  return false;
}
