export { auditValues, type AuditReport } from "./audit.ts";
export { forEachRecord, readTopicValues, type ReadOptions, type TopicValues } from "./read-topic.ts";
