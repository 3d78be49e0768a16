export { auditValues, type AuditReport } from "./audit.ts";
export { forEachRecord, readTopicValues, type ReadOptions, type TopicValues } from "./read-topic.ts";
export { toolKafkaSettings, type ToolKafkaSettings } from "./tool-settings.ts";
