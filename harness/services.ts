import { setTimeout as sleep } from "node:timers/promises";

import { KafkaConsumer, toError } from "@kafka-fleet/kafka";

import { killIfRunning, startChild, type RunningChild } from "./child.ts";
import { BOOTSTRAP, REPO_ROOT, topicRecordCount } from "./kafka.ts";

export type Role = "producer" | "single-consumer" | "batch-consumer";

interface AfterHook {
  after(fn: () => Promise<void> | void): void;
}

/**
 * For tests that crash or freeze a consumer: the session after which the group moves its partitions, shorter than
 * the services' default (45 s, sized to outlive a coordinator's move) so that the group notices within the test's
 * stream. What a crash may repeat does not depend on it.
 */
export const CRASH_TEST_SESSION = { KAFKA_CLIENT_SESSION_TIMEOUT_MS: "10000" } as const;

/** The entry point of a service, as its `start` script runs it. */
export const entryOf = (role: Role) => `${REPO_ROOT}services/${role}/src/main.ts`;

/**
 * Starts a service as its own process the way the images and the local runner do, on a free metrics port.
 * It is SIGKILLed when the test ends if the test left it running. `entry` is a role or a fixture's path.
 */
export function startService(
  t: AfterHook,
  entry: Role | { path: string },
  env: NodeJS.ProcessEnv,
): RunningChild {
  const running = startChild(typeof entry === "string" ? entryOf(entry) : entry.path, {
    KAFKA_BOOTSTRAP_SERVERS: BOOTSTRAP.join(","),
    METRICS_PORT: "0",
    SHUTDOWN_GRACE_MS: "20000",
    ...env,
  });
  t.after(() => killIfRunning(running));
  return running;
}

/** The /metrics page of a running service (its port is in its `service.started` event). */
export async function metricsOf(running: RunningChild): Promise<string> {
  const started = await running.waitForEvent("service.started");
  const response = await fetch(`http://127.0.0.1:${String(started.metricsPort)}/metrics`);
  return response.text();
}

/** The value of one series on a /metrics page (summed over label sets that match `labels`), 0 when absent. */
export function metricValue(page: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of page.split("\n")) {
    const match = /^([a-z_]+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (match === null || match[1] !== name) continue;
    const labelText = match[2] ?? "";
    if (Object.entries(labels).every(([key, value]) => labelText.includes(`${key}="${value}"`))) {
      total += Number(match[3]);
    }
  }
  return total;
}

/**
 * Records a batch consumer has logged as committed so far. One `batch.committed` line may cover several batches
 * (commits of batches that finish together are combined), so progress is counted in records, not lines.
 */
export const committedRecords = (running: RunningChild): number =>
  running.logs.reduce((sum, line) => sum + (line.event === "batch.committed" ? Number(line.size) : 0), 0);

/** Commits a batch consumer has logged (one line may cover several batches). */
export const commitsLogged = (running: RunningChild): number =>
  running.logs.filter((line) => line.event === "batch.committed").length;

/**
 * Notes how many commits each of `consumers` has logged so far: `committedSince()` says, consumer by consumer,
 * whether it has logged one since; `commitsAgain(timeoutMs)` waits until every one has (a refused commit is retried
 * until one is accepted, so this is also the sign that a group's commits are taken again).
 */
export function commitMark(consumers: readonly RunningChild[]) {
  const before = consumers.map(commitsLogged);
  const since = (consumer: RunningChild, i: number) => commitsLogged(consumer) > (before[i] ?? 0);
  return {
    committedSince: () => consumers.map(since),
    async commitsAgain(timeoutMs: number): Promise<void> {
      await Promise.all(
        consumers.map((consumer, i) =>
          consumer.waitForEvent("batch.committed", timeoutMs, () => since(consumer, i)),
        ),
      );
    },
  };
}

/** Waits for a running service's consumer to have partitions assigned. */
export function waitForAssignment(running: RunningChild, timeoutMs = 60_000) {
  return running.waitForEvent("rebalance.assigned", timeoutMs, (line) => Number(line.owned) > 0);
}

/** Records in a topic (sum of high watermarks): cheap progress check while a pipeline runs. */
export async function recordCount(topic: string): Promise<number> {
  const consumer = new KafkaConsumer({
    "bootstrap.servers": BOOTSTRAP.join(","),
    "group.id": "record-count",
  });
  await new Promise<void>((resolve, reject) =>
    consumer.connect({ timeout: 15_000 }, (error) => (error ? reject(toError(error)) : resolve())),
  );
  try {
    return await topicRecordCount(consumer, topic);
  } finally {
    await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  }
}

/** Polls `recordCount(topic)` until it reaches `count`; fails with the last count after `timeoutMs`. */
export async function waitForRecords(topic: string, count: number, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let seen = 0;
  while (Date.now() < deadline) {
    seen = await recordCount(topic);
    if (seen >= count) return;
    await sleep(500);
  }
  throw new Error(`${topic} holds ${seen} records after ${timeoutMs} ms, expected ${count}`);
}

/**
 * How long a stop may take before it counts as hung: a service bounds its own stop by SHUTDOWN_GRACE_MS (20 s in
 * the tests, exit 1 past it), so one still running well past that will not end by itself.
 */
const STOP_DEADLINE_MS = 60_000;

/**
 * SIGTERM, then the exit code. A process not gone within `deadlineMs` fails the caller with its name and last log
 * lines, rather than holding the test (or a chaos run) until its own timeout. It is SIGKILLed when the test ends.
 */
export async function stopGracefully(
  running: RunningChild,
  deadlineMs = STOP_DEADLINE_MS,
): Promise<number | null> {
  running.signal("SIGTERM");
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const recent = running.logs
        .slice(-12)
        .map((line) => JSON.stringify(line).slice(0, line.level === "fatal" ? 3000 : 300));
      reject(
        new Error(
          `${running.name}: no exit ${deadlineMs} ms after SIGTERM; last logs:\n${recent.join("\n")}`,
        ),
      );
    }, deadlineMs);
  });
  try {
    return (await Promise.race([running.exited, hung])).code;
  } finally {
    clearTimeout(timer);
  }
}
