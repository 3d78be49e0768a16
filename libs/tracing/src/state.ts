/**
 * Set once, when the SDK has started. Every hook of the fleet asks this first and does nothing else when it is
 * false: no span objects, no headers (a record with headers takes the binding's slower path), no context lookups.
 */
let enabled = false;

export function tracingEnabled(): boolean {
  return enabled;
}

/** For startTracing, and for tests that register a tracer provider of their own. */
export function setTracingEnabled(value: boolean): void {
  enabled = value;
}
