export {
  BatchAccumulator,
  batchPartitions,
  commitOffsets,
  lastOffsets,
  isBatchDue,
  pollTimeoutMs,
  type FlushRules,
} from "./batch.ts";
export { byPartition, partitionKey, type RecordPosition } from "./positions.ts";
export { BatchPipeline, type PipelinedBatch } from "./batch-pipeline.ts";
export { OffsetTracker } from "./offset-tracker.ts";
export { PendingCommits } from "./pending-commits.ts";
export { backoffDelayMs, longestRetryWaitMs, type RetryRules } from "./backoff.ts";
export { ORDERINGS, OrderingQueue, type KeyedPosition, type Ordering } from "./ordering-queue.ts";
export { HandlerOrder, ReplayNeeded, type HandlerTurn, type HandlerTurns } from "./handler-order.ts";
