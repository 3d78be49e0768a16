import {
  ROOT_CONTEXT,
  propagation,
  trace,
  type Context,
  type SpanContext,
  type TextMapGetter,
  type TextMapSetter,
} from "@opentelemetry/api";

/** A Kafka record's headers as the client takes and gives them: one object per header, in order; names repeat. */
export type HeaderList = Array<{ [name: string]: string | Buffer }>;

/** What the propagators read: the last header of a name wins (a later hop's context replaces an earlier one's). */
const getter: TextMapGetter<readonly { [name: string]: string | Buffer }[]> = {
  keys: (headers) => headers.flatMap((header) => Object.keys(header)),
  get: (headers, name) => {
    for (let i = headers.length - 1; i >= 0; i -= 1) {
      const value = (headers[i] as { [name: string]: string | Buffer })[name];
      if (value !== undefined) return typeof value === "string" ? value : value.toString("utf8");
    }
    return undefined;
  },
};

/** What the propagators write: a header replaces every earlier one of its name, so each appears once. */
const setter: TextMapSetter<HeaderList> = {
  set: (headers, name, value) => {
    for (let i = headers.length - 1; i >= 0; i -= 1) {
      const header = headers[i] as { [name: string]: string | Buffer };
      if (name in header) {
        if (Object.keys(header).length === 1) headers.splice(i, 1);
        else delete header[name];
      }
    }
    headers.push({ [name]: value });
  },
};

/**
 * `headers` plus the trace context of `context` (traceparent, tracestate, baggage: whatever the registered
 * propagators write), as a new list: the caller's list and header objects are left as they were. Headers of the
 * same names already there (a record forwarded, a dead letter carrying its record's headers) give way.
 */
export function withTraceContext(
  headers: readonly { [name: string]: string | Buffer }[] | undefined,
  context: Context,
): HeaderList {
  const out: HeaderList = headers === undefined ? [] : headers.map((header) => ({ ...header }));
  propagation.inject(context, out, setter);
  return out;
}

/** The context a record's headers carry (its producer's span as the remote parent), or the root context. */
export function traceContextOf(headers: readonly { [name: string]: string | Buffer }[] | undefined): Context {
  if (headers === undefined || headers.length === 0) return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, headers, getter);
}

/** The span context a record's headers carry, if any (for span links). */
export function spanContextOf(
  headers: readonly { [name: string]: string | Buffer }[] | undefined,
): SpanContext | undefined {
  return trace.getSpanContext(traceContextOf(headers));
}
