// The Grafana provisioning, checked statically: the datasource the panels name exists, the dashboard is valid JSON
// and covers what the issue asks for. Whether its metrics exist and its queries run: observability.test.ts.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { dashboard, dashboardQueries, metricNamesIn, readYaml } from "./helpers.ts";

describe("Grafana provisioning", () => {
  it("provisions the Compose Prometheus as a datasource with the uid every panel names", () => {
    const { datasources } = readYaml<{ datasources: Array<{ uid: string; type: string; url: string }> }>(
      "deploy/grafana/provisioning/datasources/prometheus.yml",
    );
    assert.equal(datasources.length, 1);
    const [source] = datasources;
    assert.equal(source?.type, "prometheus");
    assert.equal(source?.url, "http://prometheus:9090");
    for (const panel of dashboard().panels.filter((p) => p.type !== "row")) {
      assert.equal(panel.datasource?.uid, source?.uid, panel.title);
      for (const target of panel.targets ?? [])
        assert.equal(target.datasource?.uid, source?.uid, panel.title);
    }
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

  it("shows throughput, lag per partition, batch size and time, e2e latency percentiles, rebalances, dead letters, delivery failures", () => {
    const used = new Set(dashboardQueries().flatMap(({ expr }) => metricNamesIn(expr)));
    for (const metric of [
      "kafka_fleet_messages_produced_total",
      "kafka_fleet_messages_processed_total",
      "kafka_fleet_consumer_lag",
      "kafka_fleet_batch_size_bucket",
      "kafka_fleet_batch_processing_seconds_bucket",
      "kafka_fleet_end_to_end_latency_seconds_bucket",
      "kafka_fleet_rebalances_total",
      "kafka_fleet_dead_letters_total",
      "kafka_fleet_delivery_failures_total",
    ]) {
      assert.ok(used.has(metric), `the dashboard queries ${metric}`);
    }
    const exprs = dashboardQueries().map(({ expr }) => expr);
    assert.ok(
      exprs.some((e) => /by \([^)]*partition[^)]*\) \(kafka_fleet_consumer_lag\)/.test(e)),
      "lag per partition",
    );
    assert.ok(
      exprs.some((e) => /histogram_quantile\(0\.99, .*end_to_end_latency/.test(e)),
      "e2e p99",
    );
  });
});
