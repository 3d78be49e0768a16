export { consumerEnvSchema, toConsumerConfig, type ConsumerConfig } from "./config.ts";
export { createDefaultHandler, type ConsumerServiceOptions, type RecordHandler } from "./handler.ts";
export { DeadLetterHeader, DeadLetters, deadLetterHeaders, type DeadLetterCause } from "./dead-letter.ts";
export { decodeMessage, type DecodedRecord, type PoisonRecord, type ValueRecord } from "./record.ts";
export { PROCESSING_FAILED, isTransientFailure, withRetries } from "./retry.ts";
export { startKafkaClients, type KafkaClients } from "./start.ts";
export {
  TRANSACTION_FAILED,
  commitInTransaction,
  isolateInTransactions,
  type TransactionScope,
} from "./transaction.ts";
