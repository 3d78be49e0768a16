/**
 * How the range producer spreads its values over the topic's partitions, and what that lets it know about them.
 *
 * librdkafka reports failures only, and its statistics say, per partition, how many of that partition's messages
 * are acknowledged (with idempotence they are acknowledged in the order they were queued). Which values those are
 * is known only if the producer chose the partitions: so it does, in runs of `runLength` consecutive values, one
 * run per partition in turn (round robin). The n-th value sent (0-based) goes to partition ⌊n / runLength⌋ mod
 * partitions; a partition's k-th message is a closed formula too. No table of values in flight is kept: the
 * placement is arithmetic, so a send costs a division and the prefix costs a loop over the partitions.
 *
 * Runs, not a partition per value: a run keeps a request's worth of values together, as librdkafka's sticky
 * partitioner does for keyless messages, so requests stay as few and as full as before.
 */
export class PartitionRuns {
  readonly partitions: number;
  readonly runLength: number;

  constructor(partitions: number, runLength: number) {
    if (!Number.isInteger(partitions) || partitions < 1) throw new RangeError(`partitions ${partitions} < 1`);
    if (!Number.isInteger(runLength) || runLength < 1) throw new RangeError(`runLength ${runLength} < 1`);
    this.partitions = partitions;
    this.runLength = runLength;
  }

  /** The partition of the value sent `index`-th (0-based). */
  partitionOf(index: number): number {
    return Math.floor(index / this.runLength) % this.partitions;
  }

  /**
   * How many of the first values sent are acknowledged, given how many were `sent` and each partition's count of
   * acknowledged messages (`acknowledged[p]`: its first that many messages are written; a hole counts as 0): the
   * smallest index of any partition's first unacknowledged message, or `sent` when none is left. Every value sent
   * before that index is acknowledged; the one at it may not be.
   */
  acknowledgedPrefix(acknowledged: readonly (number | undefined)[], sent: number): number {
    let prefix = sent;
    for (let partition = 0; partition < this.partitions; partition += 1) {
      // The partition's first unacknowledged message is its k-th (0-based): run ⌊k / runLength⌋ of its own,
      // which is the run numbered (that × partitions + partition) over all.
      const k = acknowledged[partition] ?? 0;
      const run = Math.floor(k / this.runLength) * this.partitions + partition;
      const index = run * this.runLength + (k % this.runLength);
      if (index < prefix) prefix = index;
    }
    return prefix;
  }
}

/**
 * Values per run. Unpaced, `fullRun`: about what librdkafka's sticky partitioner puts in one partition at full
 * speed. Paced, what `rate` sends in `stickyMs` (the linger: one request's worth per partition), at least 1: a run
 * of a second's values would make one partition at a time carry the stream.
 */
export function runLengthFor(rate: number, options: { fullRun: number; stickyMs: number }): number {
  if (rate <= 0) return options.fullRun;
  return Math.max(1, Math.min(options.fullRun, Math.ceil((rate * options.stickyMs) / 1000)));
}
