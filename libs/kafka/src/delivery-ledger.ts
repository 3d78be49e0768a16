/**
 * Delivery accounting without a report per acknowledged message (librdkafka's `delivery.report.only.error`):
 * only failures come back, so success is inferred. Messages are numbered in the order they were queued. A drain
 * (librdkafka's flush returning with its queue empty, and every failure it reported handled here) decides every
 * message queued before the drain began. A failure report does not say which of our numbers it was, only that
 * its message was still undecided: somewhere between the last decided number and the last one queued. A range
 * of messages is acknowledged once it is decided and no failure can fall inside it.
 *
 * Pure bookkeeping, no I/O: `DeliveryProducer` drives it.
 */
export class DeliveryLedger {
  /** Messages queued so far; the next message's number. */
  #queued = 0;
  /** Every message numbered below this one has been acknowledged or reported failed. */
  #decided = 0;
  #failed = 0;
  /** Where reported failures may lie: disjoint [from, to) ranges in ascending order, merged when they touch. */
  readonly #failureRanges: Array<{ from: number; to: number }> = [];

  get queued(): number {
    return this.#queued;
  }

  get decided(): number {
    return this.#decided;
  }

  get failed(): number {
    return this.#failed;
  }

  /** Decided and not failed: a lower bound of what the cluster acknowledged, exact once everything is decided. */
  get acknowledged(): number {
    return Math.max(0, this.#decided - this.#failed);
  }

  /**
   * How many of the first messages queued are known acknowledged: those a drain decided, or the first `reported`
   * (what the caller learnt elsewhere, e.g. from librdkafka's statistics), never up to a message that may have
   * failed. A stopped run's sender resumes from there without losing a message.
   */
  acknowledgedPrefix(reported = 0): number {
    const known = Math.min(Math.max(this.#decided, reported), this.#queued);
    const firstMaybeFailed = this.#failureRanges[0]?.from;
    return firstMaybeFailed === undefined ? known : Math.min(known, firstMaybeFailed);
  }

  /** Numbers `count` more queued messages (one by default); returns the first one's number. */
  queue(count = 1): number {
    const first = this.#queued;
    this.#queued += count;
    return first;
  }

  /** A failure report arrived: its message is one of those queued and not yet decided. */
  fail(): void {
    this.#failed += 1;
    const range = { from: this.#decided, to: this.#queued };
    const last = this.#failureRanges.at(-1);
    if (last !== undefined && last.to >= range.from) last.to = Math.max(last.to, range.to);
    else this.#failureRanges.push(range);
  }

  /** A drain that began when `queuedAtStart` messages were queued has ended with nothing outstanding. */
  drained(queuedAtStart: number): void {
    this.#decided = Math.max(this.#decided, Math.min(queuedAtStart, this.#queued));
  }

  /**
   * The fate of messages [from, to): "pending" until all are decided, then "failed" if a reported failure may
   * be one of them (a failure elsewhere can be counted against them: conservative, never the other way round),
   * otherwise "acknowledged".
   */
  outcome(from: number, to: number): "pending" | "failed" | "acknowledged" {
    if (to > this.#decided) return "pending";
    const overlaps = this.#failureRanges.some((range) => range.from < to && from < range.to);
    return overlaps ? "failed" : "acknowledged";
  }
}
