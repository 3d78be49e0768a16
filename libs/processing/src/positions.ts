/** The position of one record: enough to commit it and to say where it came from. */
export interface RecordPosition {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

/** One string per topic-partition, for maps and sets keyed by partition. */
export function partitionKey(position: { topic: string; partition: number }): string {
  return `${position.topic}\u0000${position.partition}`;
}

/**
 * Positions in the order commits and logs list them: by topic (code units, not the locale's collation, which
 * costs an ICU lookup per comparison once per batch), then partition.
 */
export function byPartition(positions: RecordPosition[]): RecordPosition[] {
  return positions.sort((a, b) =>
    a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1,
  );
}
