/**
 * Whether tracing is on, read from the standard OpenTelemetry variables, without loading the SDK. On only when an
 * OTLP endpoint is configured (OTEL_EXPORTER_OTLP_ENDPOINT, or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT for traces
 * alone) or another exporter is named (OTEL_TRACES_EXPORTER=console); off whatever else says so when
 * OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none. Everything else (sampler, propagators, batch sizes,
 * resource attributes, protocol, headers) is the SDK's to read, as @opentelemetry/sdk-node documents it.
 */
export type TracingSettings =
  { readonly enabled: false } | { readonly enabled: true; readonly endpoint?: string };

/** A variable of the tracing setup has a value that cannot work; the message names it and what was expected. */
export class TracingConfigError extends Error {
  override readonly name = "TracingConfigError";
}

const ENDPOINT_VARIABLES = ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"] as const;

/** The OTEL_TRACES_EXPORTER values @opentelemetry/sdk-node knows. */
const EXPORTERS = ["otlp", "console", "zipkin", "none"];

/** The variables tracingSettings reads (the SDK reads these and the other OTEL_* ones itself). */
export const TRACING_VARIABLES = [
  "OTEL_EXPORTER_OTLP_ENDPOINT",
  "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
  "OTEL_TRACES_EXPORTER",
  "OTEL_SDK_DISABLED",
] as const;

/** Reads the variables above (empty = unset); throws TracingConfigError on a value the SDK could not use. */
export function tracingSettings(env: Readonly<Record<string, string | undefined>>): TracingSettings {
  const valueOf = (name: string) => {
    const value = env[name]?.trim();
    return value === "" ? undefined : value;
  };
  const disabled = valueOf("OTEL_SDK_DISABLED");
  if (disabled !== undefined && !/^(true|false)$/i.test(disabled)) {
    throw new TracingConfigError(`OTEL_SDK_DISABLED="${disabled}": expected true or false`);
  }
  const exporters = (valueOf("OTEL_TRACES_EXPORTER") ?? "")
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name !== "");
  for (const name of exporters) {
    if (!EXPORTERS.includes(name)) {
      throw new TracingConfigError(
        `OTEL_TRACES_EXPORTER="${valueOf("OTEL_TRACES_EXPORTER")}": expected a comma-separated list of ${EXPORTERS.join(", ")}`,
      );
    }
  }
  let endpoint: string | undefined;
  for (const name of ENDPOINT_VARIABLES) {
    const value = valueOf(name);
    if (value === undefined) continue;
    if (!URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol)) {
      throw new TracingConfigError(
        `${name}="${value}": expected the http(s) URL of an OTLP receiver, e.g. http://127.0.0.1:4318`,
      );
    }
    endpoint ??= value;
  }
  if (disabled?.toLowerCase() === "true" || exporters.includes("none")) return { enabled: false };
  if (endpoint !== undefined) return { enabled: true, endpoint };
  return exporters.length > 0 ? { enabled: true } : { enabled: false };
}
