/** How many samples of missing or duplicated values a report lists. */
const SAMPLE_SIZE = 10;

export interface AuditReport {
  /** Values in the range [from, to). */
  readonly expected: number;
  /** Values read in the range, duplicates included. */
  readonly seen: number;
  readonly missing: number;
  readonly missingSample: readonly string[];
  /** Extra copies: a value read three times counts two. */
  readonly duplicates: number;
  readonly duplicateSample: readonly string[];
  /** Values read outside the range. */
  readonly outOfRange: number;
  /** Records whose value was not an int64. */
  readonly unreadable: number;
}

/** Compares the values read against the range [from, to): pure, so it is tested without a broker. */
export function auditValues(
  range: { from: bigint; to: bigint },
  values: Iterable<bigint>,
  unreadable = 0,
): AuditReport {
  const { from, to } = range;
  const size = Number(to - from);
  const counts = new Uint32Array(size);
  let seen = 0;
  let outOfRange = 0;
  for (const value of values) {
    if (value < from || value >= to) {
      outOfRange += 1;
      continue;
    }
    counts[Number(value - from)]! += 1;
    seen += 1;
  }
  let missing = 0;
  let duplicates = 0;
  const missingSample: string[] = [];
  const duplicateSample: string[] = [];
  for (let index = 0; index < size; index += 1) {
    const count = counts[index]!;
    if (count === 0) {
      missing += 1;
      if (missingSample.length < SAMPLE_SIZE) missingSample.push(String(from + BigInt(index)));
    } else if (count > 1) {
      duplicates += count - 1;
      if (duplicateSample.length < SAMPLE_SIZE) duplicateSample.push(String(from + BigInt(index)));
    }
  }
  return {
    expected: size,
    seen,
    missing,
    missingSample,
    duplicates,
    duplicateSample,
    outOfRange,
    unreadable,
  };
}
