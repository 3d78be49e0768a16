import { Counter, Gauge, collectDefaultMetrics, Registry } from "prom-client";

import type { Health } from "./health.ts";

/** Every metric name carries this prefix (docs/design.md, Metrics). */
export const METRIC_PREFIX = "kafka_fleet_";

/**
 * One Registry per service instance, never prom-client's global one: two services (or two tests) in one
 * process must not share counters. Every series carries a `service` label.
 */
export function createRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  // Default process metrics keep their standard names (process_cpu_seconds_total, ...) so stock dashboards work.
  collectDefaultMetrics({ register: registry });
  return registry;
}

/**
 * /healthz's stall verdict as a metric, so Prometheus can alert on it: a loop awaiting something forever still
 * answers scrapes, while a blocked event loop answers nothing and shows up as `up == 0` instead. Read at
 * scrape time from `health`, so the metric and /healthz can never disagree.
 */
export function createHealthMetrics(registry: Registry, health: Health) {
  return {
    pollLoopStalled: new Gauge({
      name: `${METRIC_PREFIX}poll_loop_stalled`,
      help: "1 while the poll loop has been silent longer than allowed (/healthz answers 503), else 0.",
      registers: [registry],
      collect() {
        this.set(health.liveness().ok ? 0 : 1);
      },
    }),
  };
}

/**
 * OAUTHBEARER tokens asked of a token provider, by result; registered only by a service that has a provider (the
 * producer service and the workers alike).
 */
export function createTokenRefreshMetric(registry: Registry) {
  const refreshes = new Counter({
    name: `${METRIC_PREFIX}oauthbearer_refreshes_total`,
    help: "OAUTHBEARER tokens asked of the token provider, by result (failed: it threw or its token was unusable).",
    labelNames: ["result"] as const,
    registers: [registry],
  });
  for (const result of ["ok", "failed"]) refreshes.inc({ result }, 0);
  return refreshes;
}

// Latency from a few hundred microseconds (a hot single consumer) to a minute (a backlog being drained).
export const LATENCY_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];
