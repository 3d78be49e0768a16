// Tracing for real: the producer service, the batch consumer and Jaeger (built from the Go module proxy, run on
// loopback), the trace read back from Jaeger's query API. One trace runs from the producer's send through the
// batch consumer's processing to the results record; a dead letter's trace leads back to its record's producer.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { forEachRecord } from "@kafka-fleet/audit";
import { DeliveryProducer } from "@kafka-fleet/kafka";
import { spanContextOf, startTracing } from "@kafka-fleet/tracing";

import {
  BOOTSTRAP,
  createInputTopic,
  createTestTopic,
  deleteGroupAfter,
  identity,
  quietLogger,
  uniqueName,
} from "../../harness/kafka.ts";
import { eventually } from "../../harness/process.ts";
import { startService, stopGracefully, waitForRecords } from "../../harness/services.ts";
import { describeTrace, serviceOf, startJaeger, traceById, type Jaeger, type JaegerTrace } from "./jaeger.ts";

type Headers = ReadonlyArray<{ [name: string]: string | Buffer }>;

/** Every record of a topic with its headers. */
async function recordsOf(topic: string): Promise<Array<{ value: Buffer | null; headers: Headers }>> {
  const records: Array<{ value: Buffer | null; headers: Headers }> = [];
  await forEachRecord({ bootstrapServers: BOOTSTRAP, topic }, (message) =>
    records.push({ value: message.value, headers: message.headers ?? [] }),
  );
  return records;
}

/** The trace once Jaeger holds every span `complete` asks for (spans arrive in batches, service by service). */
function traceWhen(
  jaeger: Jaeger,
  traceId: string,
  complete: (trace: JaegerTrace) => boolean,
): Promise<JaegerTrace> {
  return eventually(
    `trace ${traceId} complete in Jaeger`,
    async () => {
      const trace = await traceById(jaeger, traceId);
      if (trace !== undefined && complete(trace)) return trace;
      // Shown if it never completes.
      throw new Error(`Jaeger has ${trace === undefined ? "nothing" : describeTrace(trace).join("; ")}`);
    },
    { timeoutMs: 30_000 },
  );
}

describe("tracing, read back from Jaeger", () => {
  it("one trace from the producer through the batch consumer to the results record; a dead letter leads back to its source", async (t) => {
    const jaeger = await startJaeger(t);
    const tracing = { OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpEndpoint, OTEL_BSP_SCHEDULE_DELAY: "200" };
    const input = await createInputTopic(t, "traced", 2);
    const results = await createTestTopic(t, "traced-results", 2);
    const group = uniqueName("traced");
    deleteGroupAfter(t, group);

    const producer = startService(t, "producer", {
      ...tracing,
      KAFKA_TOPIC: input,
      PRODUCE_FROM: "0",
      PRODUCE_TO: "20",
    });
    assert.equal((await producer.exited).code, 0, producer.stderr());

    // A record that does not decode (3 bytes, not an int64), sent by this process with tracing on: its dead
    // letter's trace must lead back here.
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = jaeger.otlpEndpoint;
    const ownTracing = await startTracing({ serviceName: "tracing-test", enabled: true });
    const poisonSender = await DeliveryProducer.connect({
      identity,
      logger: quietLogger,
      connectTimeoutMs: 15_000,
    });
    await poisonSender.send({ topic: input, value: Buffer.from([1, 2, 3]), partition: 0 });
    await poisonSender.close(5_000);
    await ownTracing.shutdown();

    const consumer = startService(t, "batch-consumer", {
      ...tracing,
      KAFKA_TOPIC: input,
      RESULTS_TOPIC: results,
      CONSUMER_GROUP: group,
      BATCH_SIZE: "10",
    });
    await waitForRecords(results, 20, 120_000);
    await waitForRecords(`${input}.dlq`, 1, 60_000);
    // A graceful stop exports the spans still buffered.
    assert.equal(await stopGracefully(consumer), 0, consumer.stderr());

    // The results record: its traceparent names its send span, in the trace of a record the producer sent.
    const resultRecords = await recordsOf(results);
    assert.equal(resultRecords.length, 20);
    const resultContexts = resultRecords.map((record) => spanContextOf(record.headers));
    assert.ok(
      resultContexts.every((context) => context !== undefined),
      "every results record carries a traceparent",
    );
    const resultContext = resultContexts[0]!;
    const pipeline = await traceWhen(jaeger, resultContext.traceId, (trace) =>
      trace.spans.some((span) => span.spanID === resultContext.spanId),
    );
    const spans = describeTrace(pipeline);
    assert.ok(spans.includes(`producer: send ${input}`), `the producer's send span in ${spans.join("; ")}`);
    assert.ok(
      spans.includes(`batch-consumer: process ${input}`),
      `the batch's process span in ${spans.join("; ")}`,
    );
    const resultSend = pipeline.spans.find((span) => span.spanID === resultContext.spanId)!;
    assert.equal(resultSend.operationName, `send ${results}`);
    assert.equal(serviceOf(pipeline, resultSend), "batch-consumer");
    // The chain of parents: results send -> process -> the producer's send.
    const parentOf = (span: (typeof pipeline.spans)[number]) =>
      pipeline.spans.find((other) =>
        span.references.some((ref) => ref.refType === "CHILD_OF" && ref.spanID === other.spanID),
      );
    const processSpan = parentOf(resultSend);
    assert.equal(processSpan?.operationName, `process ${input}`);
    const source = processSpan === undefined ? undefined : parentOf(processSpan);
    const shown = JSON.stringify(
      pipeline.spans.map((span) => ({
        span: `${serviceOf(pipeline, span)}: ${span.operationName} ${span.spanID}`,
        references: span.references.map((ref) => `${ref.refType} ${ref.traceID}/${ref.spanID}`),
      })),
    );
    assert.equal(source?.operationName, `send ${input}`, shown);
    assert.equal(serviceOf(pipeline, source), "producer", shown);
    // Both batches of the range went through the same batch consumer, each a child of the producer's run.
    const batches = pipeline.spans.filter((span) => span.operationName === `process ${input}`);
    assert.ok(batches.length >= 1);
    for (const batch of batches) assert.equal(parentOf(batch)?.spanID, source?.spanID, shown);

    // The dead letter: its traceparent is in the poison record's trace, which began with this process's send.
    const [letter] = await recordsOf(`${input}.dlq`);
    const [poison] = (await recordsOf(input)).filter((record) => record.value?.length === 3);
    const letterContext = spanContextOf(letter!.headers);
    const poisonContext = spanContextOf(poison!.headers);
    assert.ok(letterContext !== undefined && poisonContext !== undefined, "both carry a traceparent");
    assert.equal(letterContext.traceId, poisonContext.traceId, "the dead letter is in its record's trace");
    assert.notEqual(
      letterContext.spanId,
      poisonContext.spanId,
      "its traceparent is its own send's, not the record's",
    );
    const letterTrace = await traceWhen(
      jaeger,
      letterContext.traceId,
      (trace) =>
        trace.spans.some((span) => span.spanID === letterContext.spanId) &&
        trace.spans.some((span) => span.spanID === poisonContext.spanId),
    );
    const source2 = letterTrace.spans.find((span) => span.spanID === poisonContext.spanId)!;
    assert.deepEqual(
      [serviceOf(letterTrace, source2), source2.operationName],
      ["tracing-test", `send ${input}`],
    );
    const letterSend = letterTrace.spans.find((span) => span.spanID === letterContext.spanId)!;
    assert.deepEqual(
      [serviceOf(letterTrace, letterSend), letterSend.operationName],
      ["batch-consumer", `send ${input}.dlq`],
    );

    // The single consumer continues each record's trace too: a process span per record, a child of its send.
    const singleResults = await createTestTopic(t, "traced-single-results", 2);
    const singleGroup = uniqueName("traced-single");
    deleteGroupAfter(t, singleGroup);
    const single = startService(t, "single-consumer", {
      ...tracing,
      KAFKA_TOPIC: input,
      RESULTS_TOPIC: singleResults,
      CONSUMER_GROUP: singleGroup,
    });
    await waitForRecords(singleResults, 20, 120_000);
    assert.equal(await stopGracefully(single), 0, single.stderr());
    const [singleResult] = await recordsOf(singleResults);
    const singleContext = spanContextOf(singleResult!.headers);
    assert.ok(singleContext !== undefined, "the single consumer's results carry a traceparent");
    const singleTrace = await traceWhen(jaeger, singleContext.traceId, (trace) =>
      trace.spans.some((span) => span.spanID === singleContext.spanId),
    );
    const singleParentOf = (span: (typeof singleTrace.spans)[number]) =>
      singleTrace.spans.find((other) =>
        span.references.some((ref) => ref.refType === "CHILD_OF" && ref.spanID === other.spanID),
      );
    const chain: string[] = [];
    for (
      let span = singleTrace.spans.find((one) => one.spanID === singleContext.spanId);
      span !== undefined;
      span = singleParentOf(span)
    ) {
      chain.push(`${serviceOf(singleTrace, span)}: ${span.operationName}`);
    }
    assert.deepEqual(chain, [
      `single-consumer: send ${singleResults}`,
      `single-consumer: process ${input}`,
      `producer: send ${input}`,
    ]);
  });
});
