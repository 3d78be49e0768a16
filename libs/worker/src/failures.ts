import { isCodedFailure } from "@kafka-fleet/service";

/** The code of a record's failure once its retries are used up (its dead letter says so). */
export const PROCESSING_FAILED = "PROCESSING_FAILED";
/** The code of a failure met while stopping: the records stay uncommitted and come back after the restart. */
export const PROCESSING_INTERRUPTED = "PROCESSING_INTERRUPTED";

/**
 * Whether a failure is the infrastructure's (a broker unreachable, a delivery timed out) rather than the data's.
 * Such a failure must not send records to the dead-letter topic: they are fine, and will be processed once
 * the cluster is back. Data failures (the handler rejecting a value) go to the dead-letter topic.
 */
export function isTransientFailure(error: unknown): boolean {
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    if (isCodedFailure(current) && current.canRetry) return true;
  }
  return false;
}
