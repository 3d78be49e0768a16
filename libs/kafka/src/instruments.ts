// What this library asks of its caller to report what it sees: a logger, a few metric instruments and a place to
// say "ready" and "expect beats". Small structural interfaces, so the library depends on no logging or metrics
// package and on nothing else of the project: libs/service's pino Logger and Health, and libs/worker's prom-client
// metrics (createConsumerMetrics), satisfy them as they are.

/** Structured fields of one log line; `event` names it (e.g. "consumer.subscribed"). */
export type LogFields = Record<string, unknown>;

/** A structured logger: one object of fields per line, an optional message. pino's Logger is one. */
export interface KafkaLogger {
  debug(fields: LogFields, message?: string): void;
  info(fields: LogFields, message?: string): void;
  warn(fields: LogFields, message?: string): void;
  error(fields: LogFields, message?: string): void;
}

/** Label values of one series, as prom-client takes them. */
export type Labels<Name extends string> = Partial<Record<Name, string | number>>;

/** A counter with labels, shaped like prom-client's Counter. */
export interface LabelledCounter<Name extends string> {
  inc(labels: Labels<Name>, value?: number): void;
}

/** A gauge with labels, shaped like prom-client's Gauge; `remove` drops a series (a partition given up). */
export interface LabelledGauge<Name extends string> {
  set(labels: Labels<Name>, value: number): void;
  remove(labels: Labels<Name>): void;
}

/** The instruments a FleetConsumer updates itself (the rest are the worker's to update). */
export interface ConsumerInstruments {
  /** Offset commits, by `result`: "ok" or "failed". */
  readonly commits: LabelledCounter<"result">;
  /** Assignment changes, by `kind`: "assigned", "revoked" or "lost". */
  readonly rebalances: LabelledCounter<"kind">;
  /** Records behind the high watermark, per owned `topic` and `partition`. */
  readonly consumerLag: LabelledGauge<"topic" | "partition">;
}

/**
 * Where a consumer reports readiness (a member of its group, with or without partitions) and whether its poll loop
 * should be beating now (only while it owns partitions). The beats themselves come from the loop that polls, not
 * from this library.
 */
export interface ConsumerHealth {
  setReady(ready: boolean, reason: string): void;
  expectBeats(expect: boolean): void;
}
