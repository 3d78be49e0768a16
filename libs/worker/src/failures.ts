import { describeError, isCodedFailure } from "@kafka-fleet/service";

import { UnrecoverableError } from "./handler.ts";

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

/**
 * What a dead letter says of the failure that set its record aside (dlq.error.code and dlq.error.message, and the
 * dead-letter counter's `reason`): the failure's own code when it carries one (an UnrecoverableError's, one of
 * kafka-fleet's), else PROCESSING_FAILED. Not the class name of whatever the handler threw: a batch's failing record
 * must be filed under one code whether it failed alone or was picked out of its batch, and `make dlq --code`
 * selects on it.
 */
export function deadLetterCause(error: unknown): { code: string; message: string } {
  const { code, message } = describeError(error);
  const carriesCode = error instanceof UnrecoverableError || isCodedFailure(error);
  return { code: carriesCode ? code : PROCESSING_FAILED, message };
}
