// The worker API: what a worker of one's own and the fleet's services use. The loops and the other parts the
// unit tests drive directly are in ./internal.ts (@kafka-fleet/worker/internal), which is not part of this API.
export {
  defineWorker,
  type BatchWorkerSpec,
  type ShareWorkerSpec,
  type SingleWorkerSpec,
} from "./define-worker.ts";
// A worker's `oauthBearerProvider` and what it returns (libs/kafka's, re-exported so a worker needs only this API).
export type { OAuthBearerToken, OAuthBearerTokenProvider } from "@kafka-fleet/kafka";
export {
  UnrecoverableError,
  type Handle,
  type OutputProducer,
  type RecordFailure,
  type WorkerContext,
} from "./handler.ts";
export { publishValues } from "./publish-values.ts";
export { resultsTopicOf } from "./topic-routes.ts";
export { DESERIALIZATION_FAILED, int64Values, type Deserializer, type WorkerRecord } from "./record.ts";
// deadLetterHeaders and withoutValue: what a dead letter holds, for the tools that read them (tools/dlq).
export { DeadLetterHeader, deadLetterHeaders, withoutValue } from "./dead-letter.ts";
export type { ConsumerConfig } from "./consumer-config.ts";
export { DEFAULT_MAX_UNCOMMITTED } from "@kafka-fleet/kafka/tunables";
export {
  loadBatchWorkerConfig,
  loadShareWorkerConfig,
  loadSingleWorkerConfig,
  type BatchWorkerConfig,
  type ShareWorkerConfig,
  type SingleWorkerConfig,
} from "./worker-config.ts";
