// A secured cluster through KAFKA_CLIENT_* alone: the local cluster's SASL/SCRAM listener (deploy/local/cluster.sh,
// user "fleet") takes the services and the audit CLI with the right credentials and turns them away, by name, with
// wrong ones. The password never shows in what they print.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { describe, it } from "node:test";

import { auditValues, readTopicValues } from "@kafka-fleet/audit";

import {
  BOOTSTRAP,
  REPO_ROOT,
  SASL_BOOTSTRAP,
  SCRAM_CLIENT,
  SCRAM_PASSWORD as PASSWORD,
  createInputTopic,
  createTestTopic,
  deleteGroupAfter,
  uniqueName,
} from "../../harness/kafka.ts";
import {
  startService,
  stopGracefully,
  waitForAssignment,
  waitForRecords,
  type Role,
} from "../../harness/services.ts";

const VALUES = 2_000;

function scram(password: string): Record<string, string> {
  return { ...SCRAM_CLIENT, KAFKA_CLIENT_SASL_PASSWORD: password, KAFKA_CONNECT_TIMEOUT_MS: "10000" };
}

const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

function everythingPrinted(running: { stderr(): string; logs: readonly object[] }): string {
  return running.stderr() + running.logs.map((line) => JSON.stringify(line)).join("\n");
}

/** Runs the audit CLI (npm run audit) on [0, VALUES) of `topic`, its brokers and credentials from `env` only. */
async function runAudit(
  topic: string,
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      `${REPO_ROOT}libs/audit/src/cli.ts`,
      "--topic",
      topic,
      "--from",
      "0",
      "--to",
      String(VALUES),
    ],
    { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] },
  );
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const [code] = (await once(child, "exit")) as [number | null];
  return { code, stdout, stderr };
}

describe("a SASL/SCRAM listener", () => {
  it("carries a range from the producer through a batch consumer with the right credentials", async (t) => {
    const input = await createInputTopic(t, "sasl-in");
    const results = await createTestTopic(t, "sasl-results");
    const group = uniqueName("sasl");
    deleteGroupAfter(t, group);

    const consumer = startService(t, "batch-consumer", {
      ...scram(PASSWORD),
      KAFKA_TOPIC: input,
      RESULTS_TOPIC: results,
      CONSUMER_GROUP: group,
    });
    await waitForAssignment(consumer);
    const producer = startService(t, "producer", {
      ...scram(PASSWORD),
      KAFKA_TOPIC: input,
      PRODUCE_TO: String(VALUES),
    });
    assert.equal((await producer.exited).code, 0, producer.stderr());
    await waitForRecords(results, VALUES);
    assert.equal(await stopGracefully(consumer), 0, consumer.stderr());

    const { values } = await readTopicValues({ bootstrapServers: BOOTSTRAP, topic: results });
    const report = auditValues({ from: 0n, to: BigInt(VALUES) }, values);
    assert.equal(report.missing, 0);
    assert.equal(report.duplicates, 0);
    for (const running of [producer, consumer])
      assert.doesNotMatch(everythingPrinted(running), new RegExp(PASSWORD));

    // The audit CLI reads the same KAFKA_BOOTSTRAP_SERVERS and KAFKA_CLIENT_* variables.
    const audited = await runAudit(results, scram(PASSWORD));
    assert.equal(audited.code, 0, audited.stderr);
    const verdict = JSON.parse(audited.stdout) as { ok: boolean; seen: number; missing: number };
    assert.deepEqual([verdict.ok, verdict.seen, verdict.missing], [true, VALUES, 0], audited.stdout);
    assert.doesNotMatch(audited.stdout + audited.stderr, new RegExp(PASSWORD));
  });

  it("the audit CLI exits 1 naming the authentication failure with a wrong password, and never prints it", async (t) => {
    const topic = await createTestTopic(t, "sasl-audit");
    const wrong = "not-the-password";
    const audited = await runAudit(topic, scram(wrong));
    assert.equal(audited.code, 1, audited.stderr);
    assert.equal(audited.stdout, "");
    assert.match(
      audited.stderr,
      new RegExp(
        `^audit: could not read ${topic}: authentication failed at ${escaped(SASL_BOOTSTRAP[0] ?? "")}.*KAFKA_CLIENT_SASL_USERNAME`,
      ),
    );
    assert.doesNotMatch(audited.stderr, new RegExp(wrong));
  });

  for (const role of ["producer", "single-consumer"] as Role[]) {
    it(`${role} exits 1 naming the authentication failure with a wrong password, and never prints it`, async (t) => {
      const input = await createInputTopic(t, "sasl-wrong");
      const wrong = "not-the-password";
      const running = startService(t, role, { ...scram(wrong), KAFKA_TOPIC: input, PRODUCE_TO: "10" });
      assert.equal((await running.exited).code, 1);
      const failed = running.logs.find((line) => line.event === "service.failed");
      assert.equal(failed?.code, "KAFKA_AUTHENTICATION_FAILED", JSON.stringify(failed));
      assert.match(String(failed?.message), /authentication failed.*KAFKA_CLIENT_SASL_USERNAME/i);
      assert.equal(running.stderr(), "", "no stack trace");
      assert.doesNotMatch(everythingPrinted(running), new RegExp(wrong));
    });
  }
});
