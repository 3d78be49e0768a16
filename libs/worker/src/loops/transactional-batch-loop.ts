import { performance } from "node:perf_hooks";

import { commitOffsets } from "@kafka-fleet/processing";
import { FleetError, errorFields } from "@kafka-fleet/service";

import type { DeadLetterSink } from "../dead-letter.ts";
import { deadLetterCause, isTransientFailure } from "../failures.ts";
import type { ConsumedMessage } from "../record.ts";
import { BatchCore, type BatchLoopParts } from "./batch-core.ts";
import type { TransactionPort } from "./consumer-port.ts";
import {
  TRANSACTION_FAILED,
  commitInTransaction,
  isolateInTransactions,
  type TransactionScope,
} from "./in-transaction.ts";

export interface TransactionalBatchLoopOptions extends BatchLoopParts {
  readonly transactions: TransactionPort;
  /** Where the records a handler keeps rejecting go; without it, a batch the handler rejects fails the loop. */
  readonly deadLetters?: DeadLetterSink | undefined;
  /** How long a commit may go unanswered before it counts as stuck (COMMIT_DEADLINE_MS by default). */
  readonly commitDeadlineMs?: number;
}

/**
 * Exactly once: each batch is processed and committed in its own transaction before the next one starts. The
 * batch's results, its dead letters and its input offsets are written in one transaction, so read_committed
 * readers see all of a batch or none of it. A rebalance that refuses the transaction's offsets makes it be
 * redone on the records still ours (see commitInTransaction). A batch the handler rejects is redone record by
 * record, each in its own transaction, and the records it still rejects are dead-lettered in theirs: no retries
 * inside a transaction (a retry would write twice), and no crash loop on one bad record. A failure of the
 * infrastructure aborts the transaction and ends the service (exit 1); after the restart the batch is processed
 * again from the committed offsets, and the aborted attempt's writes stay invisible. So does a commit that never
 * answers (COMMIT_DEADLINE_MS): a member stuck in it would hold its partitions and commit nothing for ever.
 */
export class TransactionalBatchLoop extends BatchCore {
  readonly #transactions: TransactionPort;
  readonly #deadLetters: DeadLetterSink | undefined;
  readonly #commitDeadlineMs: number | undefined;

  constructor(options: TransactionalBatchLoopOptions) {
    super(options);
    this.#transactions = options.transactions;
    this.#deadLetters = options.deadLetters;
    this.#commitDeadlineMs = options.commitDeadlineMs;
  }

  protected override dispatch(reason: string): Promise<void> {
    return this.exclusive.run(async () => {
      const messages = this.batch.take();
      const batch = { reason, size: messages.length, started: performance.now() };
      if (messages.length > 0) await this.#processInTransaction(messages, batch);
    });
  }

  /** Each dispatch returns once its transaction is committed: nothing is left under way. */
  protected override allCommitted(): Promise<void> {
    return Promise.resolve();
  }

  protected override finish(): Promise<void> {
    return Promise.resolve();
  }

  async #processInTransaction(
    messages: ConsumedMessage[],
    batch: { reason: string; size: number; started: number },
  ): Promise<void> {
    const { consumer, logger, metrics } = this.parts;
    const scope: TransactionScope = {
      transactions: this.#transactions,
      logger,
      // Partitions being revoked are still ours until the revocation is done.
      isOurs: (position) => this.isOurs(position),
      ...(this.#commitDeadlineMs === undefined ? {} : { commitDeadlineMs: this.#commitDeadlineMs }),
    };
    const work = (records: readonly ConsumedMessage[]) => this.process([...records], true);
    let committed: readonly ConsumedMessage[];
    let deadLettered = 0;
    try {
      committed = await commitInTransaction(scope, messages, work);
    } catch (error) {
      const deadLetters = this.#deadLetters;
      if (
        deadLetters === undefined ||
        isTransientFailure(error) ||
        (error instanceof FleetError && error.code === TRANSACTION_FAILED)
      )
        throw error;
      logger.warn({
        event: "batch.isolating_failure",
        size: messages.length,
        transactional: true,
        ...errorFields(error),
      });
      deadLettered = await isolateInTransactions(
        scope,
        messages,
        work,
        (message, cause) => deadLetters.send(message, deadLetterCause(cause)),
        isTransientFailure,
      );
      committed = messages.filter(scope.isOurs);
    }
    if (committed.length === 0) return;
    const offsets = commitOffsets(committed);
    // The offsets went to the group through the transaction, which librdkafka does not see: stored here, they
    // are what its statistics (and so the lag gauge) measure the lag from. Nothing commits them otherwise.
    try {
      consumer.storeOffsets(offsets);
    } catch {
      // A partition revoked meanwhile: its lag is no longer ours to report.
    }
    metrics.commits.inc({ result: "ok" });
    this.observeDone(batch.started);
    logger.info({
      event: "batch.committed",
      size: batch.size,
      reason: batch.reason,
      transactional: true,
      ...(deadLettered > 0 ? { deadLettered } : {}),
      offsets: offsets.map(({ partition, offset }) => `${partition}:${offset}`).join(","),
    });
  }
}
