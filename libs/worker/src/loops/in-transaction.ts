import { setTimeout as sleep } from "node:timers/promises";

import { commitOffsets, type RecordPosition } from "@kafka-fleet/processing";
import { FleetError, describeError, errorFields, type Logger } from "@kafka-fleet/service";

import { DEAD_LETTER_TOO_LARGE } from "../dead-letter.ts";
import type { TransactionPort } from "./consumer-port.ts";

export const TRANSACTION_FAILED = "KAFKA_TRANSACTION_FAILED";

/**
 * How long a transaction is redone while its group settles a rebalance. A rebalance that takes longer than this
 * is not settling: the failure then ends the service, which restarts from the committed offsets.
 */
const REDO_DEADLINE_MS = 60_000;
const REDO_BACKOFF_MS = [100, 250, 500, 1000, 2000] as const;

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
}

/**
 * Writes what `work` produces for `messages`, and their offsets, in one transaction: read_committed readers see
 * all of it or none of it. When Kafka refuses the transaction for a reason an abort clears (typically a
 * rebalance: the member's generation changed while the transaction was open), the transaction is aborted and
 * redone on the records still ours, so that a rebalance never ends the service. A failure of `work` aborts the
 * transaction and is thrown as it is (the caller decides about the records); a transaction that cannot be
 * redone is thrown as a FleetError with code KAFKA_TRANSACTION_FAILED. Returns the records committed.
 */
export async function commitInTransaction<M extends RecordPosition>(
  scope: TransactionScope,
  messages: readonly M[],
  work: (records: readonly M[]) => Promise<unknown>,
): Promise<readonly M[]> {
  const { transactions, logger } = scope;
  const started = Date.now();
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
      await transactions.commit(commitOffsets(records));
      return records;
    } catch (error) {
      if (step !== "begin") {
        await transactions
          .abort()
          .catch((abortError: unknown) =>
            logger.error({ event: "transaction.abort_failed", ...errorFields(abortError) }),
          );
      }
      if (step === "work") throw error;
      if (!canRedo(error) || Date.now() - started > REDO_DEADLINE_MS) {
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
 * A failure of the infrastructure (`isTransient`) is thrown: the records are fine and stay uncommitted. A record
 * whose transaction failed on its dead letter (DEAD_LETTER_TOO_LARGE: refused as too large, so the sink sends it
 * without its value next time) is redone in a new transaction, up to DEAD_LETTER_REDOS times. Returns how many
 * records were dead-lettered.
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
      await redoingDeadLetters(() => commitInTransaction(scope, [message], work));
    } catch (error) {
      if (isTransient(error) || (error instanceof FleetError && error.code === TRANSACTION_FAILED))
        throw error;
      const sent = await redoingDeadLetters(() =>
        commitInTransaction(scope, [message], () => deadLetter(message, error)),
      );
      rejected += sent.length;
    }
  }
  return rejected;
}

/**
 * How often a record's transaction is redone when it failed on its dead letter. A refusal spoils the transaction
 * it happened in, and librdkafka bumps the producer's epoch on the abort that follows; the next transaction sends
 * the dead letter without its value.
 */
const DEAD_LETTER_REDOS = 3;

async function redoingDeadLetters<T>(attempt: () => Promise<T>): Promise<T> {
  for (let redo = 0; ; redo += 1) {
    try {
      return await attempt();
    } catch (error) {
      const deadLetterFailed = error instanceof FleetError && error.code === DEAD_LETTER_TOO_LARGE;
      if (!deadLetterFailed || redo >= DEAD_LETTER_REDOS) throw error;
    }
  }
}
