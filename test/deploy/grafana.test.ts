// The Grafana provisioning, checked statically: the datasource the panels name exists, the dashboard is valid JSON
// and covers what the issue asks for. Whether its metrics exist and its queries run: observability.test.ts.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { dashboard, dashboardQueries, metricNamesIn, readYaml, type DashboardVariable } from "./helpers.ts";

const variables = () => new Map(dashboard().templating.list.map((v) => [v.name, v]));

describe("Grafana provisioning", () => {
  it("provisions the Compose Prometheus as a datasource, the default of the dashboard's datasource variable", () => {
    const { datasources } = readYaml<{ datasources: Array<{ uid: string; type: string; url: string }> }>(
      "deploy/grafana/provisioning/datasources/prometheus.yml",
    );
    assert.equal(datasources.length, 1);
    const [source] = datasources;
    assert.equal(source?.type, "prometheus");
    assert.equal(source?.url, "http://prometheus:9090");
    const variable = variables().get("datasource");
    assert.equal(variable?.type, "datasource");
    assert.equal(variable?.query, "prometheus", "offers every Prometheus datasource");
    assert.equal(variable?.current?.value, source?.uid, "starts on the provisioned one");
  });

  it("queries through the datasource variable in every panel and every query", () => {
    const uses = { type: "prometheus", uid: "${datasource}" };
    for (const panel of dashboard().panels.filter((p) => p.type !== "row")) {
      assert.deepEqual(panel.datasource, uses, panel.title);
      for (const target of panel.targets ?? []) assert.deepEqual(target.datasource, uses, panel.title);
    }
  });

  it("has service and instance variables from the fleet's label values, the instances narrowed by service", () => {
    const service = variables().get("service");
    const instance = variables().get("instance");
    const queryOf = (v: DashboardVariable | undefined) =>
      typeof v?.query === "string" ? v.query : v?.query?.query;
    assert.equal(service?.type, "query");
    assert.equal(instance?.type, "query");
    assert.match(queryOf(service) ?? "", /^label_values\(\w+\{job="kafka-fleet"\}, service\)$/);
    assert.match(
      queryOf(instance) ?? "",
      /^label_values\(\w+\{job="kafka-fleet", service=~"\$service"\}, instance\)$/,
    );
    for (const v of [service, instance]) {
      assert.deepEqual(v?.datasource, { type: "prometheus", uid: "${datasource}" }, v?.name);
      // "All" as a regex rather than the list Grafana last loaded, so a replica added by --scale shows at once.
      assert.equal(v?.includeAll, true, v?.name);
      assert.equal(v?.allValue, ".*", v?.name);
    }
  });

  it("filters every query of a fleet metric by the service and instance variables", () => {
    for (const { panel, expr } of dashboardQueries()) {
      // Each selector of one of our metrics (or prom-client's), with its label matchers.
      for (const [selector, name, matchers = ""] of expr.matchAll(
        /\b((?:kafka_fleet|process|nodejs)_[a-z0-9_]+)(?:\{([^}]*)\})?/g,
      )) {
        assert.match(matchers, /\bservice=~"\$service"/, `${panel}: ${selector} (${name})`);
        assert.match(matchers, /\binstance=~"\$instance"/, `${panel}: ${selector} (${name})`);
      }
      // `up` has no service label (Prometheus sets it, not the service): instance only.
      if (/\bup\{/.test(expr)) assert.match(expr, /\bup\{[^}]*instance=~"\$instance"/, panel);
    }
  });

  it("lists the alerts firing now", () => {
    const alerts = dashboard().panels.find((p) => p.title === "Firing alerts");
    assert.equal(alerts?.type, "table");
    assert.deepEqual(
      alerts?.targets?.map((t) => t.expr),
      ['ALERTS{alertstate="firing"}'],
    );
  });

  it("loads dashboards from the folder Compose mounts", () => {
    const { providers } = readYaml<{ providers: Array<{ type: string; options: { path: string } }> }>(
      "deploy/grafana/provisioning/dashboards/kafka-fleet.yml",
    );
    assert.deepEqual(
      providers.map((p) => [p.type, p.options.path]),
      [["file", "/var/lib/grafana/dashboards"]],
    );
  });

  it("has a dashboard with unique panel ids, every panel placed and queried", () => {
    const { uid, panels } = dashboard();
    assert.equal(uid, "kafka-fleet");
    assert.equal(new Set(panels.map((p) => p.id)).size, panels.length);
    for (const panel of panels) {
      assert.ok(panel.gridPos, `${panel.title} has a position`);
      if (panel.type !== "row") assert.ok(panel.targets?.length, `${panel.title} has a query`);
    }
  });

  it("shows throughput, lag per partition, batch size and time, e2e latency percentiles, records in flight and waiting, stalls, rebalances, dead letters by code, delivery failures", () => {
    const used = new Set(dashboardQueries().flatMap(({ expr }) => metricNamesIn(expr)));
    for (const metric of [
      "kafka_fleet_messages_produced_total",
      "kafka_fleet_messages_processed_total",
      "kafka_fleet_consumer_lag",
      "kafka_fleet_batch_size_bucket",
      "kafka_fleet_batch_processing_seconds_bucket",
      "kafka_fleet_end_to_end_latency_seconds_bucket",
      "kafka_fleet_records_in_flight",
      "kafka_fleet_records_waiting",
      "kafka_fleet_poll_loop_stalled",
      "kafka_fleet_rebalances_total",
      "kafka_fleet_dead_letters_total",
      "kafka_fleet_delivery_failures_total",
    ]) {
      assert.ok(used.has(metric), `the dashboard queries ${metric}`);
    }
    const exprs = dashboardQueries().map(({ expr }) => expr);
    assert.ok(
      exprs.some((e) => /by \([^)]*partition[^)]*\) \(kafka_fleet_consumer_lag(\{[^}]*\})?\)/.test(e)),
      "lag per partition",
    );
    assert.ok(
      exprs.some((e) => /histogram_quantile\(0\.99, .*end_to_end_latency/.test(e)),
      "e2e p99",
    );
    assert.ok(
      exprs.some((e) => /by \([^)]*reason[^)]*\) \(rate\(kafka_fleet_dead_letters_total/.test(e)),
      "dead letters by code",
    );
  });
});
