// The Grafana dashboard and the alert rules checked against a Prometheus that holds the running fleet's series:
// every panel query is valid PromQL and returns data, and every alert rule evaluates without error over series that
// exist. One module for both places that run a fleet under a real Prometheus: the local processes
// (test/deploy/observability.test.ts) and the Compose stack (test/compose/stack.test.ts).
import assert from "node:assert/strict";

import { dashboardQueries, eventually, metricNamesIn } from "./helpers.ts";

export interface QueryResponse {
  status: string;
  error?: string;
  data?: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
}

export interface AlertRule {
  name: string;
  query: string;
  health: string;
  lastError?: string;
  lastEvaluation: string;
}

/** The two endpoints of Prometheus's HTTP API the checks read. */
export interface PrometheusApi {
  query(expr: string): Promise<QueryResponse>;
  alertRules(): Promise<AlertRule[]>;
}

export function prometheusApi(url: string): PrometheusApi {
  return {
    async query(expr) {
      const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      return (await response.json()) as QueryResponse;
    },
    async alertRules() {
      const response = await fetch(`${url}/api/v1/rules?type=alert`);
      const body = (await response.json()) as { data?: { groups: Array<{ rules: AlertRule[] }> } };
      return body.data?.groups.flatMap((group) => group.rules) ?? [];
    },
  };
}

interface Options {
  /** Throws when the fleet under test has died, so that a wait ends at once with the reason. */
  failFast?: () => void;
  timeoutMs?: number;
}

/**
 * Dashboard queries whose series appear only with an event a healthy run does not have: a delivery failure's
 * `code` label, and the ALERTS series of an alert firing. Every other query must return data (dead letters too:
 * the consumers register their decoder's failure codes at start).
 */
const EVENT_ONLY_QUERIES = [/kafka_fleet_delivery_failures_total/, /^ALERTS\{/];

/**
 * Every query of the dashboard as Grafana sends it with its variables at their defaults: the interval variable
 * (30s spans several 5 s scrapes), and the service and instance variables at "All", which is the regex .*.
 */
export function dashboardQueriesAsSent(): Array<{ panel: string; expr: string }> {
  return dashboardQueries().map(({ panel, expr }) => ({
    panel,
    expr: expr
      .replaceAll("$__rate_interval", "30s")
      .replaceAll("$service", ".*")
      .replaceAll("$instance", ".*"),
  }));
}

/** Every dashboard query is accepted by Prometheus (an error names the panel and the query). */
export async function assertDashboardQueriesValid(prometheus: PrometheusApi): Promise<void> {
  for (const { panel, expr } of dashboardQueriesAsSent()) {
    const response = await prometheus.query(expr);
    assert.equal(response.status, "success", `${panel}: ${expr}: ${response.error}`);
  }
}

/**
 * Every dashboard query that promises data while the fleet runs returns some (waits for it: rates need two
 * scrapes), and dead letters are counted by code from the start.
 */
export async function assertDashboardQueriesHaveData(
  prometheus: PrometheusApi,
  { failFast, timeoutMs = 120_000 }: Options = {},
): Promise<void> {
  const queries = dashboardQueriesAsSent().filter(
    ({ expr }) => !EVENT_ONLY_QUERIES.some((pattern) => pattern.test(expr)),
  );
  let empty: string[] = [];
  let invalid: string | undefined;
  await eventually(
    "every dashboard query has data",
    async () => {
      empty = [];
      for (const { panel, expr } of queries) {
        const response = await prometheus.query(expr);
        if (response.status !== "success") {
          // Not worth waiting for: a query Prometheus refuses stays refused.
          invalid = `${panel}: ${expr}: ${response.error}`;
          return true;
        }
        if ((response.data?.result.length ?? 0) === 0) empty.push(`${panel}: ${expr}`);
      }
      return empty.length === 0 ? true : undefined;
    },
    { failFast, timeoutMs },
  ).catch((error: unknown) => {
    throw new Error(`${String(error)}; without data: ${empty.join("; ")}`);
  });
  assert.equal(invalid, undefined, "every dashboard query is valid PromQL");
  const reasons = await prometheus.query("sum by (reason) (kafka_fleet_dead_letters_total)");
  // The consumers register the decoder's failure codes at start, so the panel has its series at once.
  assert.ok(
    (reasons.data?.result ?? []).some((series) => series.metric.reason !== undefined),
    "dead letters are counted by code",
  );
}

/**
 * Prometheus evaluates every rule every 5 s: each must have run without error, and every metric it reads must have
 * series, or the alert could never fire.
 */
export async function assertAlertRulesEvaluate(
  prometheus: PrometheusApi,
  { failFast, timeoutMs }: Options = {},
): Promise<AlertRule[]> {
  const rules = await eventually(
    "every alert rule evaluated",
    async () => {
      const all = await prometheus.alertRules();
      return all.length > 0 && all.every((rule) => !rule.lastEvaluation.startsWith("0001-"))
        ? all
        : undefined;
    },
    { failFast, timeoutMs },
  );
  assert.deepEqual(
    rules.filter((rule) => rule.health !== "ok").map((rule) => `${rule.name}: ${rule.lastError}`),
    [],
  );
  for (const rule of rules) {
    for (const name of new Set([
      ...metricNamesIn(rule.query),
      ...(/\bup\b/.test(rule.query) ? ["up"] : []),
    ])) {
      const { data } = await prometheus.query(`count(${name})`);
      assert.ok((data?.result.length ?? 0) > 0, `${rule.name} reads ${name}, which has no series`);
    }
  }
  return rules;
}
