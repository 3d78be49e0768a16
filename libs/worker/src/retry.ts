import { setTimeout as sleep } from "node:timers/promises";

import { backoffDelayMs, type RetryRules } from "@kafka-fleet/processing";
import { FleetError, describeError, type Logger } from "@kafka-fleet/service";

export const PROCESSING_FAILED = "PROCESSING_FAILED";

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
      if (attempt >= options.rules.retries || options.signal.aborted) {
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
