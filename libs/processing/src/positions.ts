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
