export { TRACING_VARIABLES, TracingConfigError, tracingSettings, type TracingSettings } from "./settings.ts";
export { tracingEnabled, setTracingEnabled } from "./state.ts";
export { startTracing, type TracingHandle } from "./start.ts";
export { spanContextOf, traceContextOf, withTraceContext, type HeaderList } from "./headers.ts";
export {
  Attribute,
  TRACER_NAME,
  activeTraceContext,
  asDeadLetterOf,
  endSpan,
  headersFor,
  inCommitSpan,
  inProcessSpan,
  startSendSpan,
  type TracedRecord,
} from "./spans.ts";
