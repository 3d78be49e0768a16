import {
  SpanKind,
  SpanStatusCode,
  context,
  createContextKey,
  trace,
  type Attributes,
  type Context,
  type Link,
  type Span,
  type SpanContext,
} from "@opentelemetry/api";

import { spanContextOf, traceContextOf, withTraceContext, type HeaderList } from "./headers.ts";

// The fleet's spans, named and described as OpenTelemetry's messaging semantic conventions say: "<operation>
// <destination>", messaging.* attributes. Callers ask tracingEnabled() first: none of this runs when tracing is off.

/** The instrumentation scope of every span the fleet starts. */
export const TRACER_NAME = "kafka-fleet";

/** Span attribute names (OpenTelemetry messaging semantic conventions, plus one of the fleet's own). */
export const Attribute = {
  system: "messaging.system",
  operationType: "messaging.operation.type",
  operationName: "messaging.operation.name",
  destination: "messaging.destination.name",
  partition: "messaging.destination.partition.id",
  offset: "messaging.kafka.offset",
  consumerGroup: "messaging.consumer.group.name",
  batchCount: "messaging.batch.message_count",
  /** The offsets a commit wrote, partition:offset,... (the fleet's own). */
  committedOffsets: "kafka_fleet.commit.offsets",
} as const;

function tracer() {
  return trace.getTracer(TRACER_NAME);
}

/** Links for the next send span started in a context (a dead letter's link to the batch that set it aside). */
const LINKS = createContextKey("kafka-fleet send links");

/**
 * A "send <topic>" span (kind producer), a child of the active context. One for each record the producer service
 * queues, one for each group of messages a consumer's output producer sends (results, dead letters).
 */
export function startSendSpan(topic: string, options: { partition?: number; count?: number } = {}): Span {
  const active = context.active();
  const attributes: Attributes = {
    [Attribute.system]: "kafka",
    [Attribute.operationType]: "send",
    [Attribute.operationName]: "send",
    [Attribute.destination]: topic,
  };
  if (options.partition !== undefined) attributes[Attribute.partition] = String(options.partition);
  if (options.count !== undefined && options.count > 1) attributes[Attribute.batchCount] = options.count;
  const links = active.getValue(LINKS) as Link[] | undefined;
  return tracer().startSpan(
    `send ${topic}`,
    { kind: SpanKind.PRODUCER, attributes, ...(links === undefined ? {} : { links }) },
    active,
  );
}

/** `headers` with the span's context in them (withTraceContext), as a new list. */
export function headersFor(
  span: Span,
  headers: readonly { [name: string]: string | Buffer }[] | undefined,
): HeaderList {
  return withTraceContext(headers, trace.setSpan(context.active(), span));
}

/** Ends a span, marked failed when `error` is given. */
export function endSpan(span: Span, error?: unknown): void {
  if (error !== undefined) {
    // A handler may throw anything; an Error is the usual case.
    span.recordException(error instanceof Error ? error : describeThrown(error));
    span.setStatus({
      code: SpanStatusCode.ERROR,
      message: error instanceof Error ? error.message : describeThrown(error),
    });
  }
  span.end();
}

function describeThrown(thrown: unknown): string {
  return typeof thrown === "string" ? thrown : (JSON.stringify(thrown) ?? typeof thrown);
}

/** The raw traceparent header of a record (the last one), without parsing it. */
function traceparentOf(headers: TracedRecord["headers"]): string | Buffer | undefined {
  if (headers === undefined) return undefined;
  for (let i = headers.length - 1; i >= 0; i -= 1) {
    const value = (headers[i] as { [name: string]: string | Buffer }).traceparent;
    if (value !== undefined) return value;
  }
  return undefined;
}

function sameBytes(a: string | Buffer, b: string | Buffer): boolean {
  if (typeof a === "string" || typeof b === "string") return String(a) === String(b);
  return a.equals(b);
}

/** What the process span needs of a consumed record. */
export interface TracedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly headers?: readonly { [name: string]: string | Buffer }[] | undefined;
}

/**
 * Runs `work` inside a "process <topic>" span (kind consumer), which is the active context while it runs: the
 * handler's own spans, its results' send span and the dead letters' nest in it.
 *
 * One record (the single consumer): the span is a child of the record's producer span, so the record's trace goes
 * on through it. Several (a batch): the conventions' batch shape, its records' contexts linked (each distinct one,
 * as many as OTEL_SPAN_LINK_COUNT_LIMIT lets, 128 by default), except that the first record's context that has one
 * is its parent instead, so that one trace still runs from a producer through the batch to its results (the
 * other records' traces reach the batch through their links).
 */
export async function inProcessSpan<R>(
  records: readonly TracedRecord[],
  groupId: string,
  work: () => Promise<R>,
): Promise<R> {
  const first = records[0];
  if (first === undefined) return work();
  const attributes: Attributes = {
    [Attribute.system]: "kafka",
    [Attribute.operationType]: "process",
    [Attribute.operationName]: "process",
    [Attribute.destination]: first.topic,
    [Attribute.consumerGroup]: groupId,
  };
  let parent: Context;
  let links: Link[] | undefined;
  if (records.length === 1) {
    attributes[Attribute.partition] = String(first.partition);
    attributes[Attribute.offset] = first.offset;
    parent = traceContextOf(first.headers);
  } else {
    attributes[Attribute.batchCount] = records.length;
    links = [];
    const seen = new Set<string>();
    let parentSpan: SpanContext | undefined;
    // Records sent together share a context (the producer service's runs): parse each distinct header once.
    let previous: string | Buffer | undefined;
    for (const record of records) {
      const raw = traceparentOf(record.headers);
      if (raw !== undefined && previous !== undefined && sameBytes(raw, previous)) continue;
      // Without a traceparent the record may still carry another propagator's headers (OTEL_PROPAGATORS=b3).
      if (raw === undefined && (record.headers === undefined || record.headers.length === 0)) continue;
      previous = raw;
      const linked = spanContextOf(record.headers);
      if (linked === undefined || seen.has(linked.spanId)) continue;
      seen.add(linked.spanId);
      // The parent is related already; a link to it too would be shown in its place (Jaeger keeps one of the two).
      if (parentSpan === undefined) parentSpan = linked;
      else links.push({ context: linked });
    }
    parent = parentSpan === undefined ? context.active() : trace.setSpanContext(context.active(), parentSpan);
  }
  const span = tracer().startSpan(
    `process ${first.topic}`,
    { kind: SpanKind.CONSUMER, attributes, ...(links === undefined ? {} : { links }) },
    parent,
  );
  try {
    const result = await context.with(trace.setSpan(parent, span), work);
    endSpan(span);
    return result;
  } catch (error) {
    endSpan(span, error);
    throw error;
  }
}

/**
 * Runs `send` in the context a dead letter of `record` is sent in: its send span's parent is the record's own
 * context, so the dead letter's trace leads back to the record's producer, and links to the span that set it
 * aside (the batch's process span). When that span is already in the record's trace (the single consumer, the
 * batch's first record), the dead letter is simply its child.
 */
export function asDeadLetterOf<R>(record: TracedRecord, send: () => Promise<R>): Promise<R> {
  const active = context.active();
  const own = spanContextOf(record.headers);
  const current = trace.getSpanContext(active);
  if (own === undefined || (current !== undefined && current.traceId === own.traceId)) return send();
  let target = traceContextOf(record.headers);
  if (current !== undefined) target = target.setValue(LINKS, [{ context: current }] satisfies Link[]);
  return context.with(target, send);
}

/**
 * Runs `commit` inside a "commit <topic>" span (kind client; the conventions' settle operation), with the
 * offsets it writes as an attribute.
 */
export async function inCommitSpan<R>(
  options: {
    topic: string;
    groupId?: string;
    offsets?: readonly { partition: number; offset: number }[];
    links?: readonly SpanContext[];
  },
  commit: () => Promise<R>,
): Promise<R> {
  const attributes: Attributes = {
    [Attribute.system]: "kafka",
    [Attribute.operationType]: "settle",
    [Attribute.operationName]: "commit",
    [Attribute.destination]: options.topic,
  };
  if (options.groupId !== undefined) attributes[Attribute.consumerGroup] = options.groupId;
  if (options.offsets !== undefined)
    attributes[Attribute.committedOffsets] = options.offsets
      .map(({ partition, offset }) => `${partition}:${offset}`)
      .join(",");
  const links = options.links?.map((linked): Link => ({ context: linked }));
  const span = tracer().startSpan(`commit ${options.topic}`, {
    kind: SpanKind.CLIENT,
    attributes,
    ...(links === undefined || links.length === 0 ? {} : { links }),
  });
  try {
    const result = await context.with(trace.setSpan(context.active(), span), commit);
    endSpan(span);
    return result;
  } catch (error) {
    endSpan(span, error);
    throw error;
  }
}

/** The active context: inside a handler's call, its process span's (for a user's own spans). */
export function activeTraceContext(): Context {
  return context.active();
}
