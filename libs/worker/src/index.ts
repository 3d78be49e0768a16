export { consumerEnvSchema, toConsumerConfig, type ConsumerConfig } from "./config.ts";
export { createDefaultHandler, type ConsumerServiceOptions, type RecordHandler } from "./handler.ts";
export { reportPoison } from "./poison.ts";
export { decodeMessage, type DecodedRecord, type PoisonRecord, type ValueRecord } from "./record.ts";
export { PROCESSING_FAILED, withRetries } from "./retry.ts";
export { startKafkaClients, type KafkaClients } from "./start.ts";
