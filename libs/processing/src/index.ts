export {
  BatchAccumulator,
  commitOffsets,
  lastOffsets,
  isBatchDue,
  partitionKey,
  pollTimeoutMs,
  type FlushRules,
  type RecordPosition,
} from "./batch.ts";
export { BatchPipeline, type PipelinedBatch } from "./batch-pipeline.ts";
export { OffsetTracker } from "./offset-tracker.ts";
export { PendingCommits } from "./pending-commits.ts";
export { backoffDelayMs, type RetryRules } from "./retry.ts";
export { ORDERINGS, OrderingQueue, type KeyedPosition, type Ordering } from "./ordering-queue.ts";
