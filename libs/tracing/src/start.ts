import { setTracingEnabled } from "./state.ts";

export interface TracingHandle {
  /** Exports the spans still buffered, then stops the SDK. Resolves at once when tracing is off. */
  shutdown(): Promise<void>;
}

const OFF: TracingHandle = { shutdown: () => Promise.resolve() };

/**
 * Starts OpenTelemetry tracing when `enabled` (tracingSettings of the environment), and does nothing at all
 * otherwise: @opentelemetry/sdk-node is imported only here, dynamically, so a fleet without tracing never loads
 * it. Throws TracingConfigError on a variable that cannot work. The SDK reads every other OTEL_* variable
 * itself; `serviceName` is the service's name unless OTEL_SERVICE_NAME (or service.name in
 * OTEL_RESOURCE_ATTRIBUTES) says otherwise. Traces only: the fleet's metrics are its /metrics endpoint and its
 * logs are JSON lines, so no metric reader or log processor is set up whatever OTEL_METRICS_EXPORTER or
 * OTEL_LOGS_EXPORTER say.
 */
export async function startTracing(options: {
  serviceName: string;
  enabled: boolean;
}): Promise<TracingHandle> {
  if (!options.enabled) return OFF;
  // The SDK reads its settings from the process's environment, so the service name's default is decided there.
  const env = process.env;
  const { NodeSDK } = await import("@opentelemetry/sdk-node");
  const named =
    (env.OTEL_SERVICE_NAME ?? "").trim() !== "" ||
    /(^|,)\s*service\.name\s*=/.test(env.OTEL_RESOURCE_ATTRIBUTES ?? "");
  const sdk = new NodeSDK({
    ...(named ? {} : { serviceName: options.serviceName }),
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  setTracingEnabled(true);
  return {
    async shutdown() {
      setTracingEnabled(false);
      await sdk.shutdown();
    },
  };
}
