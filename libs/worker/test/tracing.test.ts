// With tracing on, what a worker's records go through: the handler's call in a process span (ctx.traceContext is
// its context, so the handler's own spans nest), and a dead letter sent in its record's trace with its own
// traceparent. No broker: the dead letters' producer records what it is given.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { ROOT_CONTEXT, TraceFlags, context, trace } from "@opentelemetry/api";

import type { MessageHeader, OutgoingMessage } from "@kafka-fleet/kafka";
import { createRegistry } from "@kafka-fleet/service";
import { spanContextOf, withTraceContext } from "@kafka-fleet/tracing";
import { UnrecoverableError, type ConsumerConfig, type WorkerContext } from "@kafka-fleet/worker";
import { DeadLetters, RecordProcessor, createConsumerMetrics } from "@kafka-fleet/worker/internal";

import { recordSpans } from "../../tracing/test/support.ts";
import { message, recordingLogger } from "./support/harness.ts";

/** A record as a traced producer sent it, in trace `traceHex`… */
function traced(offset: number, traceHex: string, spanHex: string) {
  const sent = trace.setSpanContext(ROOT_CONTEXT, {
    traceId: traceHex.repeat(32),
    spanId: spanHex.repeat(16),
    traceFlags: TraceFlags.SAMPLED,
  });
  const headers = withTraceContext([], sent).map((header) => ({
    traceparent: Buffer.from(String(header.traceparent)),
  }));
  return { ...message(0, offset, BigInt(offset)), headers };
}

describe("a worker with tracing on", () => {
  let recorder: ReturnType<typeof recordSpans>;
  before(() => (recorder = recordSpans()));
  after(() => recorder.stop());

  it("runs the handler in a process span its own spans nest in; a dead letter stays in its record's trace", async () => {
    const { logger } = recordingLogger();
    const letters: Array<{ headers: MessageHeader[]; activeTrace: string | undefined }> = [];
    const producer = {
      send(letter: OutgoingMessage) {
        letters.push({
          headers: letter.headers ?? [],
          activeTrace: trace.getSpanContext(context.active())?.traceId,
        });
        return Promise.resolve();
      },
    };
    const registry = createRegistry("test");
    const deadLetters = new DeadLetters({
      producer,
      topic: "input.dlq",
      groupId: "g",
      logger,
      metrics: createConsumerMetrics(registry, ["UNRECOVERABLE"]),
    });
    const workerContext: WorkerContext = {
      signal: new AbortController().signal,
      logger,
      producer: { send: () => Promise.resolve(), sendAll: () => Promise.resolve() },
      config: { groupId: "g" } as ConsumerConfig,
      get traceContext() {
        return context.active();
      },
    };
    const tracer = trace.getTracer("user");
    const processor = new RecordProcessor<bigint>({
      handle: (records, ctx) => {
        tracer.startSpan("charge card", {}, ctx.traceContext).end();
        return Promise.resolve(
          records
            .filter((record) => record.value === 2n)
            .map((record) => ({ record, error: new UnrecoverableError("no") })),
        );
      },
      deserialize: (value) => (value === null ? 0n : value.readBigInt64BE()),
      context: workerContext,
      deadLetters,
      retry: { retries: 0, backoffMs: 1, maxBackoffMs: 1 },
      logger,
    });

    assert.equal(await processor.process([traced(1, "a", "b"), traced(2, "c", "d")]), 1);

    const spans = recorder.exporter.getFinishedSpans();
    const process = spans.find((span) => span.name === "process input");
    const own = spans.find((span) => span.name === "charge card");
    assert.ok(process && own, spans.map((span) => span.name).join(", "));
    assert.equal(own.parentSpanContext?.spanId, process.spanContext().spanId, "the handler's span nests");
    assert.equal(
      process.spanContext().traceId,
      "a".repeat(32),
      "the batch continues its first record's trace",
    );
    assert.deepEqual(
      process.links.map((link) => link.context.spanId),
      ["d".repeat(16)],
      "linked to the other record",
    );

    assert.equal(letters.length, 1);
    const letter = letters[0]!;
    assert.equal(letter.activeTrace, "c".repeat(32), "the dead letter is sent in its record's trace");
    assert.equal(
      letter.headers.filter((header) => "traceparent" in header).length,
      1,
      "one traceparent (the record's; a ReportingProducer's send replaces it with its own)",
    );
    // The fake producer starts no send span, so the context in force is the record's own; a ReportingProducer's
    // send span, a child of it, puts its own there (test/tracing checks that against Jaeger).
    assert.equal(spanContextOf(letter.headers)?.traceId, "c".repeat(32));
  });
});
