// The worker's parts for its own unit tests (@kafka-fleet/worker/internal): not the API, and free to change.
export { consumerEnvSchema, toConsumerConfig } from "./consumer-config.ts";
export {
  DEAD_LETTER_TOO_LARGE,
  DeadLetters,
  deadLetterHeaders,
  isRecordTooLarge,
  withoutValue,
  type DeadLetterCause,
  type DeadLetterSink,
} from "./dead-letter.ts";
export { PROCESSING_FAILED, PROCESSING_INTERRUPTED, isTransientFailure } from "./failures.ts";
export { BatchLoop, type BatchLoopOptions } from "./loops/batch-loop.ts";
export { fetchSize, type BatchLoopParts } from "./loops/batch-core.ts";
export type { ConsumerPort, TransactionPort } from "./loops/consumer-port.ts";
export { isolateInTransactions, type TransactionScope } from "./loops/in-transaction.ts";
export { RevocationRelay, type RevokeHook } from "./loops/revocation-relay.ts";
export { SingleLoop, type SingleLoopOptions } from "./loops/single-loop.ts";
export {
  TransactionalBatchLoop,
  type TransactionalBatchLoopOptions,
} from "./loops/transactional-batch-loop.ts";
export {
  createBatchMetrics,
  createConsumerMetrics,
  createOrderingMetrics,
  type BatchMetrics,
  type ConsumerMetrics,
} from "./metrics.ts";
export { RecordProcessor, type Processor, type ProcessorOptions } from "./processor.ts";
export { decodeFailureCodes, poisonCause, toWorkerRecord, type ConsumedMessage } from "./record.ts";
export { startKafkaClients, type KafkaClients } from "./start.ts";
export { kafkaTransactions } from "./transactions.ts";
