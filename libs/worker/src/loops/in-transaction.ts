import { setTimeout as sleep } from "node:timers/promises";

import { ErrorCodes } from "@kafka-fleet/kafka";
import { commitOffsets, type RecordPosition } from "@kafka-fleet/processing";
import { FleetError, describeError, errorFields, type Logger } from "@kafka-fleet/service";

import { DEAD_LETTER_TOO_LARGE } from "../dead-letter.ts";
import type { TransactionPort } from "./consumer-port.ts";

export const TRANSACTION_FAILED = "KAFKA_TRANSACTION_FAILED";

/**
 * How long a transaction's commit (its offsets sent, then the commit) may take before it counts as stuck: a
 * backstop, well past librdkafka's own timeouts for the two (30 s each asked; sendOffsetsToTransaction's is capped
 * at transaction.timeout.ms). Unpatched, librdkafka 2.15 left sendOffsetsToTransaction waiting for ever on a group
 * coordinator that went away (confluentinc/librdkafka#5456, #5511: the coordinator request's timeout was never
 * checked), seen here after the broker coordinating the transactions was SIGKILLed: the member kept its
 * partitions, polled, looked healthy and committed nothing again. deploy/binding's librdkafka-coord-timeout patch
 * makes that call return; this deadline stays for any other call that would never answer. A member that hits it
 * ends, but its process's exit still waits for the stuck call (Node.js joins its thread pool's threads in
 * process.exit, and the call holds one).
 */
export const COMMIT_DEADLINE_MS = 90_000;

/**
 * How long a transaction is redone while its group settles a rebalance. A rebalance that takes longer than this
 * is not settling: the failure then ends the service, which restarts from the committed offsets.
 */
const REDO_DEADLINE_MS = 60_000;
const REDO_BACKOFF_MS = [100, 250, 500, 1000, 2000] as const;

/**
 * How often a transaction spoilt under `work` (isSpoilt) is redone. A dead letter refused as too large spoils two:
 * its own, and the next one that writes to the dead-letter partition (see isSpoilt); the rest is spare.
 */
const SPOILT_REDOS = 4;

/** Kafka error codes by which a transaction's offsets are refused because the group moved on. */
const GROUP_MOVED_ON = new Set([
  22, // ILLEGAL_GENERATION: a rebalance gave the member a new generation while the transaction was open
  25, // UNKNOWN_MEMBER_ID
  27, // REBALANCE_IN_PROGRESS
]);

export interface TransactionScope {
  readonly transactions: TransactionPort;
  /** Whether a record's partition is still ours: the records of a partition gone are its new owner's to redo. */
  readonly isOurs: (position: RecordPosition) => boolean;
  readonly logger: Logger;
  /** COMMIT_DEADLINE_MS unless a test says otherwise. */
  readonly commitDeadlineMs?: number;
}

/**
 * Writes what `work` produces for `messages`, and their offsets, in one transaction: read_committed readers see
 * all of it or none of it. When Kafka refuses the transaction for a reason an abort clears (typically a
 * rebalance: the member's generation changed while the transaction was open), the transaction is aborted and
 * redone on the records still ours, so that a rebalance never ends the service. So is a transaction spoilt under
 * `work` by a failure that is the transaction's and not the records' (isSpoilt), up to SPOILT_REDOS times. Any
 * other failure of `work` aborts the transaction and is thrown as it is (the caller decides about the records); a
 * transaction that cannot be redone is thrown as a FleetError with code KAFKA_TRANSACTION_FAILED. Returns the
 * records committed.
 */
export async function commitInTransaction<M extends RecordPosition>(
  scope: TransactionScope,
  messages: readonly M[],
  work: (records: readonly M[]) => Promise<unknown>,
): Promise<readonly M[]> {
  const { transactions, logger } = scope;
  const started = Date.now();
  let spoilt = 0;
  for (let attempt = 0; ; attempt += 1) {
    const records = messages.filter(scope.isOurs);
    if (records.length === 0) return records;
    let step = "work";
    try {
      step = "begin";
      await transactions.begin();
      step = "work";
      await work(records);
      // The offsets travel with the consumer's group metadata: a member the group has moved on from is refused.
      step = "commit";
      await withinDeadline(
        transactions.commit(commitOffsets(records)),
        scope.commitDeadlineMs ?? COMMIT_DEADLINE_MS,
      );
      return records;
    } catch (error) {
      if (error instanceof StuckError) {
        // No abort: librdkafka runs one transaction call at a time, and the stuck one never ends. Only a new
        // producer gets the partitions going again: the service ends (exit 1), its successor redoes the batch, and
        // the open transaction is aborted by its coordinator after transaction.timeout.ms, unseen by
        // read_committed readers.
        throw new FleetError(TRANSACTION_FAILED, `transaction failed (${step}): ${error.message}`, {
          cause: error,
        });
      }
      if (step !== "begin") {
        await transactions
          .abort()
          .catch((abortError: unknown) =>
            logger.error({ event: "transaction.abort_failed", ...errorFields(abortError) }),
          );
      }
      if (step === "work") {
        if (!isSpoilt(error) || spoilt >= SPOILT_REDOS) throw error;
        spoilt += 1;
      } else if (!canRedo(error) || Date.now() - started > REDO_DEADLINE_MS) {
        const { message } = describeError(error);
        throw new FleetError(TRANSACTION_FAILED, `transaction failed (${step}): ${message}`, {
          cause: error,
        });
      }
      const delayMs = REDO_BACKOFF_MS[Math.min(attempt, REDO_BACKOFF_MS.length - 1)] as number;
      logger.warn({
        event: "transaction.redone",
        step,
        attempt: attempt + 1,
        records: records.length,
        delayMs,
        ...errorFields(error),
      });
      // The group needs a moment to hand out the new generation (and the partitions that move with it).
      await sleep(delayMs);
    }
  }
}

class StuckError extends Error {}

/** `promise`, or a StuckError once `deadlineMs` passed without it settling. */
async function withinDeadline<T>(promise: Promise<T>, deadlineMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const stuck = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new StuckError(`no answer from the Kafka client in ${deadlineMs} ms: stuck`)),
      deadlineMs,
    );
  });
  try {
    return await Promise.race([promise, stuck]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Whether `work` failed because its transaction was spoilt rather than on its records, so that the same work in
 * a new transaction goes through:
 * - a dead letter refused as too large (DEAD_LETTER_TOO_LARGE): the refusal makes librdkafka fail the transaction;
 *   the redo sends the dead letter's stand-in (DeadLetters);
 * - a message purged from librdkafka's queue (ERR__PURGE_QUEUE, ERR__PURGE_INFLIGHT): inside a transaction only
 *   an abortable transaction error purges, and every message queued then fails with it, whoever sent it. This is
 *   what the handler's own results meet when a dead letter of the same transaction is refused: the purge, not
 *   the refusal, may be the failure `work` reports. And a refused message leaves a gap in the idempotent
 *   producer's sequence numbers of its partition (the broker never stored it, and librdkafka does not renumber
 *   after a permanent error): the next message to that partition, in whichever later transaction, is refused as
 *   out of order, on which librdkafka bumps the producer's epoch, which first needs that transaction aborted: it
 *   purges its messages too. The abort that follows bumps the epoch and numbers every partition afresh;
 * - a message refused at once because the transaction has failed already (ERR__STATE: librdkafka takes no
 *   message for a transaction in its abortable state), as a slow handler's results may be.
 */
function isSpoilt(error: unknown): boolean {
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    if (current instanceof FleetError && current.code === DEAD_LETTER_TOO_LARGE) return true;
    const { kafkaCode, code } = current as { kafkaCode?: unknown; code?: unknown };
    if (PURGED.has(Number(kafkaCode ?? code))) return true;
  }
  return false;
}

const PURGED = new Set<number>([
  ErrorCodes.ERR__PURGE_QUEUE,
  ErrorCodes.ERR__PURGE_INFLIGHT,
  ErrorCodes.ERR__STATE,
]);

/**
 * librdkafka flags the transaction errors that an abort clears; a fatal one (this producer fenced by a newer one
 * with its transactional.id) is not.
 */
function canRedo(error: unknown): boolean {
  const flags = error as { isTxnRequiresAbort?: boolean; isFatal?: boolean; code?: unknown };
  if (flags.isFatal === true) return false;
  return flags.isTxnRequiresAbort === true || GROUP_MOVED_ON.has(Number(flags.code));
}

/**
 * After `work` failed on a whole batch in a transaction: each record is redone in a transaction of its own, and
 * a record that `work` still rejects goes to the dead-letter topic in a transaction of its own, with its offset.
 * Each record's writes commit together with its offset, so a crash halfway repeats nothing that was committed;
 * and one bad record never stops its partition (without this, the batch fails again after every restart).
 * A failure of the infrastructure (`isTransient`) is thrown: the records are fine and stay uncommitted. A dead
 * letter refused as too large spoils its transaction, which commitInTransaction redoes (the sink then sends the
 * stand-in). Returns how many records were dead-lettered.
 */
export async function isolateInTransactions<M extends RecordPosition>(
  scope: TransactionScope,
  messages: readonly M[],
  work: (records: readonly M[]) => Promise<unknown>,
  deadLetter: (message: M, cause: unknown) => Promise<void>,
  isTransient: (error: unknown) => boolean,
): Promise<number> {
  let rejected = 0;
  for (const message of messages) {
    try {
      await commitInTransaction(scope, [message], work);
    } catch (error) {
      if (isTransient(error) || (error instanceof FleetError && error.code === TRANSACTION_FAILED))
        throw error;
      const sent = await commitInTransaction(scope, [message], () => deadLetter(message, error));
      rejected += sent.length;
    }
  }
  return rejected;
}
