// The client is a CommonJS module: ESM gets it through the default export only.
import rdkafka from "@confluentinc/kafka-javascript";
import type {
  KafkaConsumer as KafkaConsumerType,
  LibrdKafkaError,
  TopicPartition,
} from "@confluentinc/kafka-javascript";

export const { AdminClient, KafkaConsumer, Producer, CODES, ConsumerGroupStates, librdkafkaVersion } =
  rdkafka;
export type {
  ConsumerGlobalConfig,
  GroupDescription,
  IAdminClient,
  KafkaConsumer as KafkaConsumerClient,
  LibrdKafkaError,
  Message,
  Metadata,
  WatermarkOffsets,
  MessageHeader,
  Producer as ProducerClient,
  ProducerGlobalConfig,
  TopicDescription,
  TopicPartition,
  TopicPartitionOffset,
} from "@confluentinc/kafka-javascript";

export const ErrorCodes = CODES.ERRORS;

/**
 * Methods the 1.10.1 JavaScript layer has but its type definitions leave out: cooperative rebalancing and a
 * commit that reports its result through a callback instead of blocking the event loop.
 */
export interface CooperativeConsumer extends KafkaConsumerType {
  incrementalAssign(assignments: TopicPartition[]): void;
  incrementalUnassign(assignments: TopicPartition[]): void;
  assignmentLost(): boolean;
  setDefaultIsTimeoutOnlyForFirstMessage(onlyFirst: boolean): void;
}

/** librdkafka errors reach JavaScript as plain objects at times; make them real Errors that keep their code. */
export function toError(error: LibrdKafkaError): Error & { code: number } {
  if (error instanceof Error) return error;
  return Object.assign(new Error(error.message), { code: error.code });
}
