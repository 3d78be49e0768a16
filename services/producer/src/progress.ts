export interface ProgressSnapshot {
  readonly sent: number;
  readonly acknowledged: number;
  /** Every value below this one is acknowledged: where a run killed now may resume (PRODUCE_FROM). */
  readonly resumeFrom: bigint;
  readonly failed: number;
  /** Messages in the range, or undefined when producing forever. */
  readonly total: number | undefined;
  readonly elapsedMs: number;
}

export interface ProgressReport {
  readonly sent: number;
  /** How many values are acknowledged, in any order (a count: values below `resumeFrom` are all among them). */
  readonly acknowledged: number;
  readonly resumeFrom: bigint;
  readonly failed: number;
  readonly total: number | undefined;
  /** Acknowledged messages per second since the start. */
  readonly ratePerSecond: number;
  /** Percent of the range acknowledged (undefined when producing forever). */
  readonly percent: number | undefined;
  /** Seconds until the range is acknowledged at the current rate (undefined when unknown). */
  readonly etaSeconds: number | undefined;
}

export function progressReport(snapshot: ProgressSnapshot): ProgressReport {
  const { sent, acknowledged, resumeFrom, failed, total, elapsedMs } = snapshot;
  const ratePerSecond = elapsedMs > 0 ? Math.round((acknowledged * 1000) / elapsedMs) : 0;
  const remaining = total === undefined ? undefined : Math.max(0, total - acknowledged - failed);
  return {
    sent,
    acknowledged,
    resumeFrom,
    failed,
    total,
    ratePerSecond,
    percent: total === undefined || total === 0 ? undefined : Math.floor((acknowledged * 1000) / total) / 10,
    etaSeconds:
      remaining === undefined
        ? undefined
        : remaining === 0
          ? 0
          : ratePerSecond > 0
            ? Math.ceil(remaining / ratePerSecond)
            : undefined,
  };
}
