export { consumerEnvSchema, toConsumerConfig, type ConsumerConfig } from "./consumer-config.ts";
export {
  DEFAULT_MAX_UNCOMMITTED,
  loadBatchWorkerConfig,
  loadSingleWorkerConfig,
  type BatchWorkerConfig,
  type SingleWorkerConfig,
} from "./worker-config.ts";
export { defineWorker, type BatchWorkerSpec, type SingleWorkerSpec } from "./define-worker.ts";
export {
  UnrecoverableError,
  type Handle,
  type OutputProducer,
  type RecordFailure,
  type WorkerContext,
} from "./handler.ts";
export { publishValues } from "./publish-values.ts";
export {
  DESERIALIZATION_FAILED,
  int64Values,
  poisonCause,
  toWorkerRecord,
  type ConsumedMessage,
  type Deserializer,
  type WorkerRecord,
} from "./record.ts";
export {
  DeadLetterHeader,
  DeadLetters,
  deadLetterHeaders,
  type DeadLetterCause,
  type DeadLetterSink,
} from "./dead-letter.ts";
export {
  createBatchMetrics,
  createConsumerMetrics,
  createOrderingMetrics,
  type BatchMetrics,
  type ConsumerMetrics,
} from "./metrics.ts";
export { RecordProcessor, type Processor, type ProcessorOptions } from "./processor.ts";
export { BatchLoop, type BatchLoopOptions } from "./loops/batch-loop.ts";
export { SingleLoop, type SingleLoopOptions } from "./loops/single-loop.ts";
export type { ConsumerPort, TransactionPort } from "./loops/consumer-port.ts";
export { PROCESSING_FAILED, PROCESSING_INTERRUPTED, isTransientFailure } from "./failures.ts";
export { startKafkaClients, type KafkaClients } from "./start.ts";
export { kafkaTransactions } from "./transactions.ts";
