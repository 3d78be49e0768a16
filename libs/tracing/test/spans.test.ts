import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";

import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, context, trace } from "@opentelemetry/api";
import type { ReadableSpan } from "@opentelemetry/sdk-trace";

import {
  Attribute,
  activeTraceContext,
  asDeadLetterOf,
  endSpan,
  headersFor,
  inCommitSpan,
  inProcessSpan,
  spanContextOf,
  startSendSpan,
  withTraceContext,
} from "@kafka-fleet/tracing";

import { recordSpans } from "./support.ts";

/** Headers as a producer in another trace would have written them. */
function producedIn(traceHex: string, spanHex: string) {
  const parent = trace.setSpanContext(ROOT_CONTEXT, {
    traceId: traceHex.repeat(32 / traceHex.length),
    spanId: spanHex.repeat(16 / spanHex.length),
    traceFlags: TraceFlags.SAMPLED,
  });
  return withTraceContext([], parent).map((header) => ({
    traceparent: Buffer.from(String(header.traceparent)),
  }));
}

const record = (offset: number, headers?: ReturnType<typeof producedIn>) => ({
  topic: "orders",
  partition: 2,
  offset,
  headers,
});

describe("the fleet's spans", () => {
  let recorder: ReturnType<typeof recordSpans>;
  before(() => (recorder = recordSpans()));
  after(() => recorder.stop());
  afterEach(() => recorder.exporter.reset());
  const spans = (): ReadableSpan[] => recorder.exporter.getFinishedSpans();
  const named = (name: string): ReadableSpan => {
    const found = spans().find((span) => span.name === name);
    assert.ok(
      found,
      `a span named ${name} among ${spans()
        .map((span) => span.name)
        .join(", ")}`,
    );
    return found;
  };

  it("process (one record): a child of the record's producer span, active while the work runs", async () => {
    const headers = producedIn("a", "b");
    let inside: string | undefined;
    const result = await inProcessSpan([record(7, headers)], "group-1", () => {
      inside = trace.getSpanContext(activeTraceContext())?.spanId;
      return Promise.resolve(42);
    });
    assert.equal(result, 42);
    const span = named("process orders");
    assert.equal(span.kind, SpanKind.CONSUMER);
    assert.equal(span.spanContext().traceId, "a".repeat(32));
    assert.equal(span.parentSpanContext?.spanId, "b".repeat(16));
    assert.equal(inside, span.spanContext().spanId);
    assert.equal(span.links.length, 0);
    assert.deepEqual(
      {
        system: span.attributes[Attribute.system],
        operation: span.attributes[Attribute.operationType],
        partition: span.attributes[Attribute.partition],
        offset: span.attributes[Attribute.offset],
        group: span.attributes[Attribute.consumerGroup],
      },
      { system: "kafka", operation: "process", partition: "2", offset: 7, group: "group-1" },
    );
  });

  it("process (a batch): the first record's context as parent, links to the others'", async () => {
    const first = producedIn("1", "2");
    const second = producedIn("3", "4");
    await inProcessSpan(
      [record(1), record(2, first), record(3, second), record(4, first)],
      "g",
      async () => {},
    );
    const span = named("process orders");
    assert.equal(span.spanContext().traceId, "1".repeat(32));
    assert.equal(span.parentSpanContext?.spanId, "2".repeat(16));
    assert.deepEqual(
      span.links.map((link) => link.context.spanId),
      ["4".repeat(16)],
      "one link per distinct context but the parent's, records without one left out",
    );
    assert.equal(span.attributes[Attribute.batchCount], 4);
  });

  it("process: a batch of records without context starts a new trace", async () => {
    await inProcessSpan([record(1), record(2)], "g", () => Promise.resolve());
    const span = named("process orders");
    assert.equal(span.parentSpanContext, undefined);
    assert.equal(span.links.length, 0);
  });

  it("process: a failure marks the span and goes on to the caller", async () => {
    await assert.rejects(
      inProcessSpan([record(1)], "g", () => Promise.reject(new Error("boom"))),
      /boom/,
    );
    const span = named("process orders");
    assert.equal(span.status.code, SpanStatusCode.ERROR);
    assert.equal(span.status.message, "boom");
  });

  it("send: a producer span in the active context, whose context goes in the headers", async () => {
    await inProcessSpan([record(1, producedIn("5", "6"))], "g", () => {
      const send = startSendSpan("orders.results", { count: 3 });
      const headers = headersFor(send, [{ keep: "me" }]);
      endSpan(send);
      assert.equal(spanContextOf(headers)?.spanId, send.spanContext().spanId);
      assert.deepEqual(headers[0], { keep: "me" });
      return Promise.resolve();
    });
    const send = named("send orders.results");
    const process = named("process orders");
    assert.equal(send.kind, SpanKind.PRODUCER);
    assert.equal(send.parentSpanContext?.spanId, process.spanContext().spanId);
    assert.equal(send.spanContext().traceId, "5".repeat(32));
    assert.equal(send.attributes[Attribute.batchCount], 3);
  });

  it("a dead letter of a batch's record: in that record's trace, linked to the batch", async () => {
    const first = producedIn("7", "8");
    const other = producedIn("9", "a");
    await inProcessSpan([record(1, first), record(2, other)], "g", async () => {
      await asDeadLetterOf(record(2, other), () => Promise.resolve(endSpan(startSendSpan("orders.dlq"))));
      await asDeadLetterOf(record(1, first), () =>
        Promise.resolve(endSpan(startSendSpan("orders.dlq.first"))),
      );
    });
    const process = named("process orders");
    const letter = named("send orders.dlq");
    assert.equal(letter.spanContext().traceId, "9".repeat(32), "the dead letter's trace is its record's");
    assert.equal(letter.parentSpanContext?.spanId, "a".repeat(16));
    assert.deepEqual(
      letter.links.map((link) => link.context.spanId),
      [process.spanContext().spanId],
    );
    const firstLetter = named("send orders.dlq.first");
    assert.equal(
      firstLetter.parentSpanContext?.spanId,
      process.spanContext().spanId,
      "in the batch's trace: its child",
    );
    assert.equal(firstLetter.links.length, 0);
  });

  it("commit: a client span with the offsets it wrote", async () => {
    await inCommitSpan(
      {
        topic: "orders",
        groupId: "g",
        offsets: [
          { partition: 0, offset: 10 },
          { partition: 3, offset: 5 },
        ],
      },
      async () => {},
    );
    const span = named("commit orders");
    assert.equal(span.kind, SpanKind.CLIENT);
    assert.equal(span.attributes[Attribute.committedOffsets], "0:10,3:5");
    assert.equal(span.attributes[Attribute.operationType], "settle");
    assert.equal(context.active(), ROOT_CONTEXT);
  });
});
