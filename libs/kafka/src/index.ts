export { kafkaFailureHints } from "./failure-hints.ts";
export { FleetAdmin } from "./admin.ts";
export { clientId, clientPropertyProblems, withTokenProvider, type ClientIdentity } from "./client-config.ts";
export {
  CLIENT_PROPERTY_PREFIX,
  isClientPropertyVariable,
  readClientProperties,
} from "./client-properties.ts";
export { connectClient } from "./connect.ts";
export {
  OAuthBearerTokenError,
  oauthBearerPropertyProblems,
  type OAuthBearerToken,
  type OAuthBearerTokenProvider,
} from "./oauthbearer-token.ts";
export { OAuthBearerRefresh, type OAuthBearerOptions } from "./oauthbearer.ts";
export {
  KafkaSettingsError,
  clientIdentityOf,
  kafkaEnv,
  kafkaEnvShape,
  toKafkaSettings,
  type KafkaSettings,
} from "./env.ts";
export { topicEndOffsets } from "./end-offsets.ts";
export { requireTopic } from "./require-topic.ts";
export { FleetConsumer, type ConsumedRecord, type FleetConsumerOptions } from "./consumer.ts";
export { PackedRecord } from "./packed-records.ts";
export {
  DeliveryError,
  KafkaAuthenticationError,
  KafkaError,
  KafkaUnreachableError,
  TopicMissingError,
} from "./errors.ts";
export type {
  ConsumerHealth,
  ConsumerInstruments,
  KafkaLogger,
  LabelledCounter,
  LabelledGauge,
  Labels,
  LogFields,
} from "./instruments.ts";
export { DeliveryProducer, type DeliveryProducerOptions, type FailureCallback } from "./delivery-producer.ts";
export type { OutgoingMessage, OutgoingRun, ProducerOptions } from "./producer-client.ts";
export { ReportingProducer, type ReportingProducerOptions } from "./reporting-producer.ts";
export {
  ConsumerGroupStates,
  ErrorCodes,
  KafkaConsumer,
  librdkafkaVersion,
  toError,
  type ConsumerGlobalConfig,
  type CooperativeConsumer,
  type KafkaConsumerClient,
  type LibrdKafkaError,
  type Message,
  type Metadata,
  type WatermarkOffsets,
  type MessageHeader,
  type TopicPartition,
  type TopicPartitionOffset,
} from "./rdkafka.ts";
export {
  createShareConsumer,
  type AcknowledgeTypeName,
  type AcknowledgementResult,
  type ShareBatch,
  type ShareCommitResult,
  type ShareConsumerClient,
  type ShareConsumerError,
  type ShareRecord,
  type ShareRecordError,
} from "./share-consumer.ts";
