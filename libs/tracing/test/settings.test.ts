import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { TracingConfigError, tracingSettings } from "@kafka-fleet/tracing";

describe("tracingSettings", () => {
  it("is off when nothing configures it", () => {
    assert.deepEqual(tracingSettings({}), { enabled: false });
    assert.deepEqual(tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: "  " }), { enabled: false });
    assert.deepEqual(tracingSettings({ OTEL_SERVICE_NAME: "x", OTEL_TRACES_SAMPLER: "always_on" }), {
      enabled: false,
    });
  });

  it("is on with an OTLP endpoint, the traces one first", () => {
    assert.deepEqual(tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318" }), {
      enabled: true,
      endpoint: "http://127.0.0.1:4318",
    });
    assert.deepEqual(
      tracingSettings({
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://a:4318",
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "https://b/v1/traces",
      }),
      { enabled: true, endpoint: "https://b/v1/traces" },
    );
  });

  it("is on with an exporter named and no endpoint (console)", () => {
    assert.deepEqual(tracingSettings({ OTEL_TRACES_EXPORTER: "console" }), { enabled: true });
  });

  it("is off when OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none, endpoint or not", () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318" };
    assert.deepEqual(tracingSettings({ ...endpoint, OTEL_SDK_DISABLED: "TRUE" }), { enabled: false });
    assert.deepEqual(tracingSettings({ ...endpoint, OTEL_TRACES_EXPORTER: "none" }), { enabled: false });
    assert.equal(tracingSettings({ ...endpoint, OTEL_SDK_DISABLED: "false" }).enabled, true);
  });

  it("refuses values the SDK could not use, naming the variable and what it expects", () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [
        { OTEL_EXPORTER_OTLP_ENDPOINT: "127.0.0.1:4318" },
        /^OTEL_EXPORTER_OTLP_ENDPOINT="127\.0\.0\.1:4318": expected the http\(s\) URL/,
      ],
      [
        { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "grpc://x" },
        /^OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=.*http\(s\) URL/,
      ],
      [{ OTEL_SDK_DISABLED: "yes" }, /^OTEL_SDK_DISABLED="yes": expected true or false$/],
      [
        { OTEL_TRACES_EXPORTER: "otlp,jaeger" },
        /^OTEL_TRACES_EXPORTER="otlp,jaeger": expected .*otlp, console, zipkin, none/,
      ],
    ];
    for (const [env, message] of cases) {
      assert.throws(
        () => tracingSettings(env),
        (error: unknown) => {
          assert.ok(error instanceof TracingConfigError);
          assert.match(error.message, message);
          return true;
        },
      );
    }
  });
});
