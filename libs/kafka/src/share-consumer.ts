// The share consumer that deploy/binding's share-consumer patch adds to @confluentinc/kafka-javascript (a class of
// its own over librdkafka's preview rd_kafka_share_* API), typed here: the package has no declarations for it.
import rdkafka from "@confluentinc/kafka-javascript";

/** ACCEPT: processed. RELEASE: deliver it again (maybe to another member). REJECT: never deliver it again. */
export type AcknowledgeTypeName = "ACCEPT" | "RELEASE" | "REJECT";

/** An error from the share consumer: librdkafka's code (negative: local), as the other clients' errors. */
export interface ShareConsumerError extends Error {
  code: number;
  isFatal?: boolean;
  isRetriable?: boolean;
}

/** A record acquired by this member; acknowledge it before the next consume(). */
export interface ShareRecord {
  value: Buffer | null;
  size: number;
  key: Buffer | null;
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  /** 1 on the first delivery; the broker counts each acquisition. */
  deliveryCount: number;
  headers?: Record<string, Buffer>[];
}

/** A record-level error: librdkafka has acknowledged that record itself. */
export interface ShareRecordError extends ShareConsumerError {
  topic?: string;
  partition: number;
  offset: number;
}

/** One partition's outcome of sending acknowledgements to its leader. */
export interface AcknowledgementResult {
  topic: string;
  partition: number;
  /** how many offsets the result covers */
  offsets: number;
  error: ShareConsumerError | null;
}

export interface ShareBatch {
  records: ShareRecord[];
  errors: ShareRecordError[];
  /** results of acknowledgements sent since the previous call */
  acknowledgements: AcknowledgementResult[];
}

export interface ShareCommitResult {
  partitions: { topic: string; partition: number; error: ShareConsumerError | null }[];
  acknowledgements: AcknowledgementResult[];
}

export interface ShareConsumerClient {
  subscribe(topics: string[]): void;
  consume(timeoutMs: number): Promise<ShareBatch>;
  acknowledge(record: Pick<ShareRecord, "topic" | "partition" | "offset">, type?: AcknowledgeTypeName): void;
  commitSync(timeoutMs: number): Promise<ShareCommitResult>;
  commitAsync(): void;
  close(): Promise<{ acknowledgements: AcknowledgementResult[] }>;
  /** a consume(), commitSync() or close() is queued or running */
  busy(): boolean;
}

type ShareConsumerConstructor = new (
  config: Record<string, string | number | boolean>,
) => ShareConsumerClient;

const exported = (rdkafka as unknown as { ShareConsumer?: ShareConsumerConstructor }).ShareConsumer;

/**
 * A share consumer with explicit acknowledgement; config is librdkafka properties ("group.id" required,
 * "bootstrap.servers", "max.poll.records", ...). Throws when the installed binding lacks the patch.
 */
export function createShareConsumer(config: Record<string, string | number | boolean>): ShareConsumerClient {
  if (!exported) {
    throw new Error(
      "@confluentinc/kafka-javascript has no ShareConsumer: it was not built with deploy/binding's share-consumer " +
        "patch (run make setup)",
    );
  }
  return new exported(config);
}
