/** The figures of one partition in librdkafka's statistics that its lag comes from (-1, or absent, when unknown). */
export interface PartitionStats {
  readonly consumer_lag?: number;
  readonly consumer_lag_stored?: number;
  readonly committed_offset?: number;
  readonly lo_offset?: number;
  readonly hi_offset?: number;
}

/**
 * How many records of a partition the group has yet to get through, or undefined while that is not known.
 * Lag behind the stored offset is the fresher figure when offsets are stored (the single consumer); otherwise
 * lag behind the committed offset. librdkafka says -1 for a partition the group never committed to; when that
 * partition holds no records, its lag is 0 all the same (a member that owns only empty partitions shows them).
 */
export function partitionLag(stats: PartitionStats): number | undefined {
  const stored = stats.consumer_lag_stored ?? -1;
  if (stored >= 0) return stored;
  const committed = stats.consumer_lag ?? -1;
  if (committed >= 0) return committed;
  const { lo_offset: start = -1, hi_offset: end = -1 } = stats;
  return start >= 0 && end === start ? 0 : undefined;
}
