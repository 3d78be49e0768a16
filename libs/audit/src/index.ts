export { auditValues, type AuditReport } from "./audit.ts";
export { readTopicValues, type ReadOptions, type TopicValues } from "./read-topic.ts";
