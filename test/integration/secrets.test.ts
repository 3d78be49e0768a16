// No secret leaves a service through what it prints or serves: each of the three services runs against the local
// cluster's SASL/SCRAM listener with the password (from the environment, or from a file through
// KAFKA_CLIENT_SASL_PASSWORD_FILE), at the most verbose log level, until it has done real work; then its log
// lines, its stderr and its /metrics, /healthz and /readyz pages are searched for the password.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";

import {
  SCRAM_CLIENT,
  SCRAM_PASSWORD as PASSWORD,
  createInputTopic,
  createTestTopic,
  deleteGroupAfter,
  uniqueName,
} from "../../harness/kafka.ts";
import { eventually } from "../../harness/process.ts";
import { metricValue, startService, stopGracefully, waitForAssignment } from "../../harness/services.ts";
import type { RunningChild } from "../../harness/child.ts";

/** The ways the password could be written out: as it is, JSON-escaped (the same here), base64. */
const FORMS = [PASSWORD, Buffer.from(PASSWORD).toString("base64")];

const sasl = {
  ...SCRAM_CLIENT,
  // The most verbose level: every log line a service can write.
  LOG_LEVEL: "trace",
};

/** The service's HTTP pages, as a scraper and a kubelet see them. */
async function pagesOf(running: RunningChild): Promise<Record<string, string>> {
  const started = await running.waitForEvent("service.started");
  const base = `http://127.0.0.1:${String(started.metricsPort)}`;
  const pages: Record<string, string> = {};
  for (const path of ["/metrics", "/healthz", "/readyz"])
    pages[path] = await (await fetch(base + path)).text();
  return pages;
}

/** Where the password shows in `texts`, by name: empty when nowhere. */
function leaks(texts: Record<string, string>): string[] {
  return Object.entries(texts).flatMap(([where, text]) =>
    FORMS.filter((form) => text.includes(form)).map(() => where),
  );
}

const printed = (running: RunningChild) => ({
  "log lines": running.logs.map((line) => JSON.stringify(line)).join("\n"),
  stderr: running.stderr(),
});

describe("secrets stay out of logs and /metrics", () => {
  it("the leak check finds the password where it is", () => {
    // The check itself can fail: what it is given below would be reported.
    assert.deepEqual(leaks({ a: `{"password":"${PASSWORD}"}`, b: "nothing", c: FORMS[1] ?? "" }), ["a", "c"]);
  });

  it("producer, single-consumer and batch-consumer, with the password from the environment or a file", async (t) => {
    const input = await createInputTopic(t, "secrets-in");
    const results = await createTestTopic(t, "secrets-results");
    const singleGroup = uniqueName("secrets-single");
    const batchGroup = uniqueName("secrets-batch");
    deleteGroupAfter(t, singleGroup);
    deleteGroupAfter(t, batchGroup);
    const dir = mkdtempSync(join(tmpdir(), "fleet-secrets-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const passwordFile = join(dir, "kafka-password");
    writeFileSync(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });

    const batch = startService(t, "batch-consumer", {
      ...sasl,
      KAFKA_CLIENT_SASL_PASSWORD: PASSWORD,
      KAFKA_TOPIC: input,
      RESULTS_TOPIC: results,
      CONSUMER_GROUP: batchGroup,
    });
    // From the file: the variable itself is not in its environment at all.
    const single = startService(t, "single-consumer", {
      ...sasl,
      KAFKA_CLIENT_SASL_PASSWORD_FILE: passwordFile,
      KAFKA_TOPIC: input,
      CONSUMER_GROUP: singleGroup,
    });
    await Promise.all([waitForAssignment(batch), waitForAssignment(single)]);
    // Endless, so that its /metrics can be read while it runs.
    const producer = startService(t, "producer", {
      ...sasl,
      KAFKA_CLIENT_SASL_PASSWORD: PASSWORD,
      KAFKA_TOPIC: input,
      PRODUCE_RATE: "2000",
    });

    // Each has authenticated and done real work before its pages are read: values produced, processed.
    const services = { producer, "single-consumer": single, "batch-consumer": batch };
    const counters = {
      producer: "kafka_fleet_messages_produced_total",
      "single-consumer": "kafka_fleet_messages_processed_total",
      "batch-consumer": "kafka_fleet_messages_processed_total",
    } as const;
    const pages: Record<string, Record<string, string>> = {};
    for (const [name, running] of Object.entries(services)) {
      pages[name] = await eventually(
        `${name} has handled 1000 values`,
        async () => {
          const served = await pagesOf(running);
          return metricValue(served["/metrics"] ?? "", counters[name as keyof typeof counters]) >= 1000
            ? served
            : undefined;
        },
        {
          failFast: () => assert.ok(running.child.exitCode === null, `${name} exited: ${running.stderr()}`),
        },
      );
    }

    for (const [name, running] of Object.entries(services)) {
      assert.equal(await stopGracefully(running), 0, `${name}: ${running.stderr()}`);
    }
    for (const [name, running] of Object.entries(services)) {
      // The whole life was logged, start to stop: the search below had all of it.
      assert.ok(
        running.logs.some((line) => line.event === "service.started"),
        name,
      );
      assert.ok(
        running.logs.some((line) => line.event === "service.stopped"),
        name,
      );
      assert.deepEqual(leaks({ ...printed(running), ...pages[name] }), [], name);
      t.diagnostic(
        `${name}: ${running.logs.length} log lines, ${running.stderr().length} bytes of stderr, ` +
          `${pages[name]?.["/metrics"]?.length ?? 0} bytes of /metrics searched`,
      );
    }
  });
});
