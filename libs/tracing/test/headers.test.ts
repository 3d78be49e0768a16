import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { ROOT_CONTEXT, TraceFlags, trace } from "@opentelemetry/api";

import { spanContextOf, traceContextOf, withTraceContext } from "@kafka-fleet/tracing";

import { recordSpans } from "./support.ts";

const TRACE_ID = "0af7651916cd43dd8448eb211c80319c";
const SPAN_ID = "b7ad6b7169203331";
const sampled = trace.setSpanContext(ROOT_CONTEXT, {
  traceId: TRACE_ID,
  spanId: SPAN_ID,
  traceFlags: TraceFlags.SAMPLED,
});

describe("trace context in record headers", () => {
  let stop: () => Promise<void>;
  before(() => ({ stop } = recordSpans()));
  after(() => stop());

  it("injects traceparent as a W3C header, into a new list", () => {
    const original = [{ "content-type": "application/json" }];
    const headers = withTraceContext(original, sampled);
    assert.deepEqual(headers, [
      { "content-type": "application/json" },
      { traceparent: `00-${TRACE_ID}-${SPAN_ID}-01` },
    ]);
    assert.deepEqual(
      original,
      [{ "content-type": "application/json" }],
      "the caller's list is left as it was",
    );
    assert.deepEqual(withTraceContext(undefined, sampled), [{ traceparent: `00-${TRACE_ID}-${SPAN_ID}-01` }]);
  });

  it("replaces a traceparent already there (a dead letter carrying its record's headers)", () => {
    const older = { traceparent: `00-${"1".repeat(32)}-${"2".repeat(16)}-01` };
    const mixed = { traceparent: "stale", other: "kept" };
    const headers = withTraceContext([older, { a: "1" }, mixed], sampled);
    assert.deepEqual(headers, [
      { a: "1" },
      { other: "kept" },
      { traceparent: `00-${TRACE_ID}-${SPAN_ID}-01` },
    ]);
    assert.equal(mixed.traceparent, "stale", "the caller's header objects are left as they were");
  });

  it("extracts the context from headers as consumed (Buffers), the last traceparent winning", () => {
    const headers = [
      { traceparent: Buffer.from(`00-${"1".repeat(32)}-${"2".repeat(16)}-01`) },
      { traceparent: Buffer.from(`00-${TRACE_ID}-${SPAN_ID}-01`) },
    ];
    const extracted = spanContextOf(headers);
    assert.equal(extracted?.traceId, TRACE_ID);
    assert.equal(extracted?.spanId, SPAN_ID);
    assert.equal(extracted?.isRemote, true);
    assert.equal(extracted?.traceFlags, TraceFlags.SAMPLED);
  });

  it("round-trips: what one producer injects, a consumer extracts", () => {
    const extracted = spanContextOf(withTraceContext([], sampled));
    assert.deepEqual(
      { traceId: extracted?.traceId, spanId: extracted?.spanId },
      { traceId: TRACE_ID, spanId: SPAN_ID },
    );
  });

  it("finds no context in records without one, or with a malformed one", () => {
    assert.equal(traceContextOf(undefined), ROOT_CONTEXT);
    assert.equal(traceContextOf([]), ROOT_CONTEXT);
    assert.equal(spanContextOf([{ other: "x" }]), undefined);
    assert.equal(spanContextOf([{ traceparent: "00-not-a-trace-01" }]), undefined);
    assert.equal(spanContextOf([{ traceparent: `00-${"0".repeat(32)}-${SPAN_ID}-01` }]), undefined);
  });
});
