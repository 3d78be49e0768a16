export {
  env,
  isSecret,
  loadConfig,
  serviceEnvSchema,
  toServiceConfig,
  type ServiceConfig,
} from "./config.ts";
export {
  ConfigError,
  ErrorCode,
  FleetError,
  asError,
  describeError,
  describeFailure,
  errorFields,
  failureHint,
  isCodedFailure,
  messageOf,
  type CodedFailure,
  type FailureHints,
} from "./errors.ts";
export { FILE_SUFFIX, readFileVariables } from "./file-variables.ts";
export { Health } from "./health.ts";
export { startHttpServer, type HttpServer } from "./http-server.ts";
export {
  ExitCode,
  runService,
  type RunOptions,
  type ServiceContext,
  type ServiceDefinition,
} from "./lifecycle.ts";
export { createLogger, type Logger, type LoggerOptions } from "./logger.ts";
export {
  LATENCY_BUCKETS,
  METRIC_PREFIX,
  createHealthMetrics,
  createRegistry,
  createTokenRefreshMetric,
} from "./metrics.ts";
