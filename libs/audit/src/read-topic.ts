import { KafkaConsumer, connectClient, toError, topicEndOffsets, type Message } from "@kafka-fleet/kafka";
import { SerdeError, deserializeInt } from "@kafka-fleet/serde";

export interface ReadOptions {
  readonly bootstrapServers: readonly string[];
  readonly topic: string;
  /** read_committed skips records of aborted transactions (what exactly-once readers must use). */
  readonly isolation?: "read_committed" | "read_uncommitted";
  /** Give up when no record arrived for this long before the end was reached. */
  readonly stallTimeoutMs?: number;
  /**
   * Further librdkafka properties (security.protocol, sasl.*, ssl.*), as the services take them from
   * KAFKA_CLIENT_* (libs/kafka's readClientProperties). The reader's own group, commit and isolation settings
   * stay its own.
   */
  readonly properties?: Readonly<Record<string, string>>;
  /** How long connecting may take before a KafkaUnreachableError (or KafkaAuthenticationError). */
  readonly connectTimeoutMs?: number;
}

export interface TopicValues {
  readonly values: bigint[];
  readonly unreadable: number;
  readonly records: number;
}

/** Reads a topic to its end (see `forEachRecord`) and decodes the values as int64s. */
export async function readTopicValues(options: ReadOptions): Promise<TopicValues> {
  const values: bigint[] = [];
  let unreadable = 0;
  let records = 0;
  await forEachRecord(options, (message) => {
    records += 1;
    try {
      values.push(deserializeInt(message.value));
    } catch (error) {
      if (!(error instanceof SerdeError)) throw error;
      unreadable += 1;
    }
  });
  return { values, unreadable, records };
}

/**
 * Hands every record of `topic` to `onRecord`, from each partition's first offset up to the high watermark seen
 * at the start, without joining a group or committing anything.
 */
export async function forEachRecord(
  options: ReadOptions,
  onRecord: (message: Message) => void,
): Promise<void> {
  const consumer = new KafkaConsumer({
    "bootstrap.servers": options.bootstrapServers.join(","),
    "fetch.max.bytes": 52_428_800,
    ...options.properties,
    "group.id": `kafka-fleet-audit-${process.pid}-${Date.now()}`,
    "enable.auto.commit": false,
    "isolation.level": options.isolation ?? "read_committed",
  });
  // Says which brokers were tried, and tells refused credentials from an unreachable cluster.
  await connectClient(consumer, options.bootstrapServers, options.connectTimeoutMs ?? 15_000);
  try {
    const ends = await topicEndOffsets(consumer, options.topic);
    const partitions = [...ends.keys()].map((id) => ({ id }));
    // Read-committed consumers stop at the last stable offset, which transaction markers can leave below
    // the high watermark: a partition also counts as done once its position has reached its end.
    consumer.assign(partitions.map(({ id }) => ({ topic: options.topic, partition: id, offset: 0 })));
    consumer.setDefaultConsumeTimeout(200);

    let lastProgress = Date.now();
    const stallTimeoutMs = options.stallTimeoutMs ?? 30_000;
    const done = () =>
      consumer
        .position(partitions.map(({ id }) => ({ topic: options.topic, partition: id })))
        .every(
          ({ partition, offset }) => (offset ?? 0) >= (ends.get(partition) ?? 0) || ends.get(partition) === 0,
        );

    while (!done()) {
      const batch = await new Promise<Message[]>((resolve, reject) =>
        consumer.consume(10_000, (error, messages) => (error ? reject(toError(error)) : resolve(messages))),
      );
      for (const message of batch) {
        if (message.offset < (ends.get(message.partition) ?? 0)) onRecord(message);
      }
      if (batch.length > 0) lastProgress = Date.now();
      else if (Date.now() - lastProgress > stallTimeoutMs) {
        throw new Error(`reading ${options.topic} stalled for ${stallTimeoutMs} ms before reaching its end`);
      }
    }
  } finally {
    await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  }
}
