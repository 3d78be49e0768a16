// Both Prometheus configs, checked by Prometheus's own promtool, and kept the same job apart from discovery.
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";

import { readYaml, repoPath, run } from "./helpers.ts";

type ScrapeJob = Record<string, unknown> & { job_name: string };
interface PrometheusConfig {
  global?: Record<string, unknown>;
  rule_files?: string[];
  scrape_configs: ScrapeJob[];
}

describe("Prometheus configs", () => {
  it("promtool accepts the Compose config, alerting rules included", async () => {
    const result = await run("promtool", ["check", "config", repoPath("deploy/prometheus/prometheus.yml")]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /SUCCESS/);
    // Prometheus takes a rule_files entry as a glob, so a wrong name loads no rules without any error: count them.
    assert.match(result.stdout, /alerts\.yml\s+SUCCESS: [1-9]\d* rules found/);
  });

  it("promtool accepts the local config together with a targets file like the ones the runners write", async (t) => {
    const dir = mkdtempSync(join(tmpdir(), "promtool-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    // As deploy/local/fleet.sh lays them out: the config, the rules beside it, targets/ beside both.
    copyFileSync(repoPath("deploy/prometheus/prometheus.local.yml"), join(dir, "prometheus.yml"));
    copyFileSync(repoPath("deploy/prometheus/alerts.yml"), join(dir, "alerts.yml"));
    mkdirSync(join(dir, "targets"));
    writeFileSync(join(dir, "targets", "fleet.json"), JSON.stringify([{ targets: ["127.0.0.1:9464"] }]));
    const good = await run("promtool", ["check", "config", join(dir, "prometheus.yml")]);
    assert.equal(good.code, 0, good.stdout + good.stderr);
    assert.doesNotMatch(good.stdout + good.stderr, /WARNING/, "the targets file was found and read");
    assert.match(good.stdout, /alerts\.yml\s+SUCCESS: [1-9]\d* rules found/);

    // promtool reads the targets file: a malformed one fails, so the check above means something.
    writeFileSync(join(dir, "targets", "fleet.json"), JSON.stringify([{ targets: "not-a-list" }]));
    const bad = await run("promtool", ["check", "config", join(dir, "prometheus.yml")]);
    assert.notEqual(bad.code, 0);
  });

  it("the local config is the Compose job with file-based instead of DNS discovery", () => {
    const compose = readYaml<PrometheusConfig>("deploy/prometheus/prometheus.yml");
    const local = readYaml<PrometheusConfig>("deploy/prometheus/prometheus.local.yml");
    const withoutDiscovery = (config: PrometheusConfig) => ({
      global: config.global,
      rules: config.rule_files,
      jobs: config.scrape_configs.map(({ dns_sd_configs: _dns, file_sd_configs: _file, ...job }) => job),
    });
    assert.deepEqual(withoutDiscovery(local), withoutDiscovery(compose));
    assert.ok(compose.scrape_configs.every((job) => job.dns_sd_configs !== undefined));
    assert.ok(local.scrape_configs.every((job) => job.file_sd_configs !== undefined));
  });

  it("both load the alerting rules from beside themselves, where Compose and the local runner put them", () => {
    for (const file of ["prometheus.yml", "prometheus.local.yml"]) {
      assert.deepEqual(
        readYaml<PrometheusConfig>(`deploy/prometheus/${file}`).rule_files,
        ["alerts.yml"],
        file,
      );
    }
    const fleetSh = readFileSync(repoPath("deploy/local/fleet.sh"), "utf8");
    assert.match(fleetSh, /cp "\$REPO\/deploy\/prometheus\/alerts\.yml" "\$PROM_DIR\/alerts\.yml"/);
  });
});
