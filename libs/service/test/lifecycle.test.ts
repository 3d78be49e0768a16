import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";

import { killIfRunning, startChild, type RunningChild } from "../../../harness/child.ts";

const demo = fileURLToPath(new URL("./fixtures/demo-service.ts", import.meta.url));

async function startDemo(
  env: NodeJS.ProcessEnv,
  t: { after(fn: () => Promise<void>): void },
): Promise<RunningChild> {
  const running = startChild(demo, { METRICS_PORT: "0", ...env });
  t.after(() => killIfRunning(running));
  await running.waitForEvent("demo.running");
  return running;
}

const stepOrder = (running: RunningChild) =>
  running.logs.filter((line) => line.event === "demo.step").map((line) => line.name);

describe("runService in a real process", () => {
  it("stops gracefully on SIGTERM: exit 0, stop steps last-registered first", async (t) => {
    const running = await startDemo({}, t);
    running.signal("SIGTERM");
    assert.deepEqual(await running.exited, { code: 0, signal: null });
    assert.deepEqual(stepOrder(running), ["third", "second", "first"]);
    assert.ok(running.logs.some((line) => line.event === "shutdown.requested" && line.signal === "SIGTERM"));
    assert.ok(running.logs.some((line) => line.event === "service.stopped" && line.exitCode === 0));
  });

  it("stops gracefully on SIGINT too", async (t) => {
    const running = await startDemo({}, t);
    running.signal("SIGINT");
    assert.equal((await running.exited).code, 0);
  });

  it("runs the remaining steps when one fails, and exits 1", async (t) => {
    const running = await startDemo({ DEMO_FAIL_STEP: "second" }, t);
    running.signal("SIGTERM");
    assert.equal((await running.exited).code, 1);
    assert.deepEqual(stepOrder(running), ["third", "first"]);
    assert.ok(running.logs.some((line) => line.event === "shutdown.step_failed" && line.step === "second"));
  });

  it("forces the exit on a second signal", async (t) => {
    const running = await startDemo({ DEMO_STOP_MS: "60000", SHUTDOWN_GRACE_MS: "120000" }, t);
    running.signal("SIGTERM");
    await running.waitForEvent("shutdown.requested");
    running.signal("SIGTERM");
    assert.equal((await running.exited).code, 1);
    assert.ok(running.logs.some((line) => line.event === "shutdown.forced"));
    assert.deepEqual(stepOrder(running), [], "no step finished: the exit was forced");
  });

  it("gives up with exit 1 when the graceful stop outlives SHUTDOWN_GRACE_MS", async (t) => {
    const running = await startDemo({ DEMO_STOP_MS: "60000", SHUTDOWN_GRACE_MS: "300" }, t);
    running.signal("SIGTERM");
    assert.equal((await running.exited).code, 1);
    assert.ok(
      running.logs.some((line) => line.event === "shutdown.timeout" && line.code === "SHUTDOWN_TIMEOUT"),
    );
  });

  it("bounds the stop after a failure by SHUTDOWN_GRACE_MS too: exit 1, even if a stop step never ends", async (t) => {
    // A client whose close waits for ever (librdkafka's, with a call of its own stuck) must not hang a failed
    // service: the supervisor restarts it only once it has exited.
    const running = await startDemo(
      { DEMO_FAIL_RUN: "1", DEMO_STOP_MS: "600000", SHUTDOWN_GRACE_MS: "300" },
      t,
    );
    assert.equal((await running.exited).code, 1);
    assert.ok(running.logs.some((line) => line.event === "service.failed"));
    assert.ok(
      running.logs.some((line) => line.event === "shutdown.timeout" && line.code === "SHUTDOWN_TIMEOUT"),
    );
  });

  it("exits 2 with one line naming each bad variable, and no stack trace", async () => {
    const running = startChild(demo, { METRICS_PORT: "abc", SHUTDOWN_GRACE_MS: "-5" });
    assert.equal((await running.exited).code, 2);
    const stderr = running.stderr().trim();
    assert.equal(stderr.split("\n").length, 1, stderr);
    assert.match(stderr, /^demo: invalid configuration: /);
    assert.match(stderr, /METRICS_PORT="abc": expected an integer from 0 to 65535/);
    assert.match(stderr, /SHUTDOWN_GRACE_MS="-5": expected an integer from 100 to 600000/);
    assert.doesNotMatch(stderr, /\n\s+at /);
  });
});
