// The observability stack against the real services: producer, single consumer and 3 batch consumers run as local
// processes on the local cluster, a real Prometheus (the Debian binary) scrapes them through the local file-SD
// config, and the Grafana dashboard's queries are checked against both their /metrics pages and Prometheus.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";

import { METRIC_PREFIX } from "@kafka-fleet/service";

import { killIfRunning, startChild, type RunningChild } from "../../harness/child.ts";
import {
  BOOTSTRAP,
  createInputTopic,
  deleteGroupAfter,
  uniqueName,
  type AfterHook,
} from "../../harness/kafka.ts";

import {
  assertAlertRulesEvaluate,
  assertDashboardQueriesHaveData,
  assertDashboardQueriesValid,
  dashboardQueriesAsSent,
  prometheusApi,
} from "./prometheus-checks.ts";
import {
  APP_SERVICES,
  dashboardQueries,
  dockerHealthcheck,
  eventually,
  freePort,
  metricNamesIn,
  repoPath,
  run,
} from "./helpers.ts";

type Role = (typeof APP_SERVICES)[number];
interface Instance {
  role: Role;
  address: string;
  child: RunningChild;
}

/** SIGTERM (graceful: commit, leave the group), SIGKILL if it does not stop in time. */
async function stop(child: RunningChild): Promise<void> {
  child.signal("SIGTERM");
  const timer = setTimeout(() => void killIfRunning(child), 30_000);
  await child.exited;
  clearTimeout(timer);
}

async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/** The fleet as local processes on a topic and groups of its own; stopped, and its groups deleted, after the test. */
async function startLocalFleet(t: AfterHook, batchConsumers: number): Promise<Instance[]> {
  const instances: Instance[] = [];
  // Registered first so that it runs first: after-hooks run in order, and the topic and groups go after the processes.
  t.after(() => Promise.all(instances.map((i) => stop(i.child))).then(() => undefined));
  // The input topic and its dead-letter topic (<input>.dlq), which the consumers require.
  const topic = await createInputTopic(t, "deploy");
  const groups = { single: uniqueName("deploy-single"), batch: uniqueName("deploy-batch") };
  deleteGroupAfter(t, groups.single);
  deleteGroupAfter(t, groups.batch);

  const plan: Array<[Role, Record<string, string>]> = [
    ["producer", { PRODUCE_RATE: "200" }],
    ["single-consumer", { CONSUMER_GROUP: groups.single }],
    ...Array.from({ length: batchConsumers }, (): [Role, Record<string, string>] => [
      "batch-consumer",
      { CONSUMER_GROUP: groups.batch, BATCH_MAX_WAIT_MS: "200" },
    ]),
  ];
  const ports = await distinctFreePorts(plan.length);
  plan.forEach(([role, env], index) => {
    const port = ports[index]!;
    const child = startChild(
      "src/main.ts",
      {
        KAFKA_BOOTSTRAP_SERVERS: BOOTSTRAP.join(","),
        KAFKA_TOPIC: topic,
        METRICS_PORT: String(port),
        ...env,
      },
      repoPath("services", role),
    );
    instances.push({ role, address: `127.0.0.1:${port}`, child });
  });
  await Promise.all(instances.map((i) => i.child.waitForEvent("service.started", 60_000)));
  return instances;
}

/** Throws, with the process's last words, as soon as one instance of the fleet has exited. */
function allRunning(fleet: Instance[]): () => void {
  return () => {
    const dead = fleet.find((i) => i.child.child.exitCode !== null || i.child.child.signalCode !== null);
    if (dead) {
      const last = dead.child.logs.slice(-3).map((line) => JSON.stringify(line));
      throw new Error(
        `${dead.role} at ${dead.address} exited: ${last.join(" ")} ${dead.child.stderr().slice(-1000)}`,
      );
    }
  };
}

/** Prometheus from the Debian package on a free port, scraping `targets` through a copy of the local config. */
async function startPrometheus(t: AfterHook, targets: string[]) {
  const dir = mkdtempSync(join(tmpdir(), "prometheus-"));
  copyFileSync(repoPath("deploy/prometheus/prometheus.local.yml"), join(dir, "prometheus.yml"));
  copyFileSync(repoPath("deploy/prometheus/alerts.yml"), join(dir, "alerts.yml"));
  mkdirSync(join(dir, "targets"));
  writeFileSync(join(dir, "targets", "fleet.json"), JSON.stringify([{ targets }]));
  const [port] = await distinctFreePorts(1);
  const child = spawn(
    "prometheus",
    [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let log = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (log = (log + chunk).slice(-4000)));
  const exited = once(child, "exit");
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
    rmSync(dir, { recursive: true, force: true });
  });

  const url = `http://127.0.0.1:${port}`;
  await eventually(
    `Prometheus ready on ${url} (its log: ${log.slice(-500)})`,
    async () => ((await fetch(`${url}/-/ready`)).ok ? true : undefined),
    { timeoutMs: 30_000 },
  );
  return prometheusApi(url);
}

/** Metric names a /metrics page exports: sample names, plus every declared (# TYPE) family and its histogram series. */
function exportedNames(page: string): Set<string> {
  const names = new Set<string>();
  for (const line of page.split("\n")) {
    const declared = /^# TYPE (\S+) (\S+)/.exec(line);
    if (declared) {
      const [, name = "", type] = declared;
      names.add(name);
      if (type === "histogram") for (const suffix of ["_bucket", "_sum", "_count"]) names.add(name + suffix);
    } else if (/^[a-z]/.test(line)) {
      names.add(line.split(/[{ ]/)[0]!);
    }
  }
  return names;
}

const CONTRACT_METRICS = [
  "messages_produced_total",
  "delivery_failures_total",
  "messages_consumed_total",
  "messages_processed_total",
  "batch_size",
  "batch_processing_seconds",
  "end_to_end_latency_seconds",
  "consumer_lag",
  "rebalances_total",
  "commits_total",
  "dead_letters_total",
  "poll_loop_stalled",
].map((name) => METRIC_PREFIX + name);

describe("the local fleet, scraped by a real Prometheus", () => {
  it("producer, single consumer and 3 batch consumers", { timeout: 300_000 }, async (t) => {
    const fleet = await startLocalFleet(t, 3);
    const prometheus = await startPrometheus(
      t,
      fleet.map((i) => i.address),
    );
    const batchAddresses = fleet.filter((i) => i.role === "batch-consumer").map((i) => i.address);
    const failFast = allRunning(fleet);

    await t.test("every metric the dashboard queries is exported by the running services", async () => {
      const exported = new Set<string>();
      for (const role of APP_SERVICES) {
        const { address } = fleet.find((i) => i.role === role)!;
        // Ready = connected (for a consumer, a member of its group): every metric is registered by then.
        await eventually(
          `${role} ready`,
          async () => ((await fetch(`http://${address}/readyz`)).ok ? true : undefined),
          { failFast },
        );
        const page = await (await fetch(`http://${address}/metrics`)).text();
        for (const name of exportedNames(page)) exported.add(name);
      }
      const missing = dashboardQueries().flatMap(({ panel, expr }) =>
        metricNamesIn(expr)
          .filter((name) => !exported.has(name))
          .map((name) => `${panel}: ${name}`),
      );
      assert.deepEqual(missing, []);
      assert.deepEqual(
        CONTRACT_METRICS.filter((name) => !exported.has(name)),
        [],
        "every metric of docs/design.md is exported by some service",
      );
    });

    await t.test(
      "Prometheus discovers all 5 instances through file SD and has series from all 3 batch consumers",
      async () => {
        const up = await eventually(
          "all targets up",
          async () => {
            const { data } = await prometheus.query('up{job="kafka-fleet"} == 1');
            return data?.result.length === fleet.length ? data.result : undefined;
          },
          { failFast },
        );
        assert.deepEqual(up.map((s) => s.metric.instance).sort(), fleet.map((i) => i.address).sort());

        // Each batch consumer owns some of the 6 partitions and has processed records from them.
        const processed = await eventually(
          "records processed by 3 batch consumers",
          async () => {
            const { data } = await prometheus.query(
              'kafka_fleet_messages_processed_total{service="batch-consumer"} > 0',
            );
            return data?.result.length === 3 ? data.result : undefined;
          },
          { failFast },
        );
        assert.deepEqual(processed.map((s) => s.metric.instance).sort(), [...batchAddresses].sort());
      },
    );

    await t.test("every dashboard query is valid PromQL, and throughput shows each service", async () => {
      await assertDashboardQueriesValid(prometheus);
      const queries = dashboardQueriesAsSent();
      const throughput = queries.filter(({ expr }) =>
        /rate\(kafka_fleet_messages_(produced|processed)_total/.test(expr),
      );
      assert.equal(throughput.length, 2);
      const services = await eventually(
        "throughput of every service",
        async () => {
          const seen = new Set<string>();
          for (const { expr } of throughput) {
            const { data } = await prometheus.query(expr);
            for (const series of data?.result ?? [])
              if (Number(series.value[1]) > 0) seen.add(series.metric.service!);
          }
          return seen.size === 3 ? seen : undefined;
        },
        { failFast },
      );
      assert.deepEqual([...services].sort(), [...APP_SERVICES].sort());
    });

    await t.test(
      "every dashboard query returns data while the fleet runs, and every alert rule evaluates over series that exist",
      async () => {
        await assertDashboardQueriesHaveData(prometheus, { failFast });
        await assertAlertRulesEvaluate(prometheus, { failFast });
      },
    );

    await t.test(
      "the image's HEALTHCHECK command passes on a running service and fails on a closed port",
      async () => {
        const [, ...args] = dockerHealthcheck();
        const { address } = fleet.find((i) => i.role === "single-consumer")!;
        const healthy = await run(process.execPath, args, { env: { METRICS_PORT: address.split(":")[1] } });
        assert.equal(healthy.code, 0, healthy.stderr);
        const [closed] = await distinctFreePorts(1);
        const unreachable = await run(process.execPath, args, { env: { METRICS_PORT: String(closed) } });
        assert.equal(unreachable.code, 1);
      },
    );
  });
});
