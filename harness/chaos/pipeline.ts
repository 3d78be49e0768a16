// What the fault-injection scenarios share: the scenario's shape, and a producer → batch consumers → results
// pipeline on fresh topics, audited at the end.
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";

import { auditValues, readTopicValues, type AuditReport } from "@kafka-fleet/audit";

import type { RunningChild } from "../child.ts";
import {
  BOOTSTRAP,
  createInputTopic,
  createTestTopic,
  deleteGroupAfter,
  uniqueName,
  type AfterHook,
} from "../kafka.ts";
import { startService, stopGracefully, waitForAssignment } from "../services.ts";

export type Size = "short" | "full";

export interface ScenarioResult {
  readonly values: number;
  /** null: the scenario streams no range to audit (e.g. it checks refusals), so there is nothing to count. */
  readonly missing: number | null;
  readonly duplicates: number | null;
  readonly detail: string;
}

export interface Scenario {
  readonly name: string;
  /** Whether the short form (inside `make test`) runs it. */
  readonly short: boolean;
  run(t: AfterHook, size: Size): Promise<ScenarioResult>;
}

export const PROGRESS = { PROGRESS_INTERVAL_MS: "500" };

/** Reads `topic` until every value of [0, values) is there (or `timeoutMs` passed) and returns the audit. */
export async function auditWhenComplete(
  topic: string,
  values: number,
  timeoutMs = 300_000,
): Promise<AuditReport> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const read = await readTopicValues({ bootstrapServers: BOOTSTRAP, topic, isolation: "read_committed" });
    const report = auditValues({ from: 0n, to: BigInt(values) }, read.values, read.unreadable);
    if (report.missing === 0 || Date.now() > deadline) return report;
    await sleep(2000);
  }
}

/**
 * BATCH_MAX_UNCOMMITTED of the scenarios that bound duplicates: set rather than the default (100), so that the bound
 * stays a small share of the stream and a broken promise shows.
 */
export const CHAOS_MAX_UNCOMMITTED = 8;

export const isAlive = (running: RunningChild) =>
  running.child.exitCode === null && running.child.signalCode === null;
/** Whether the consumer's latest rebalance left it with partitions. */
export const ownsPartitions = (running: RunningChild) =>
  Number(running.logs.findLast((line) => line.event?.startsWith("rebalance.") === true)?.owned ?? 0) > 0;

export interface Pipeline {
  readonly input: string;
  readonly results: string;
  /** The consumers' group. */
  readonly group: string;
  readonly consumers: RunningChild[];
  readonly producer: RunningChild;
  readonly startConsumer: () => RunningChild;
  /** Resolves once the producer has had `fraction` of the range acknowledged. */
  readonly produced: (fraction: number) => Promise<unknown>;
  /** SIGKILLs a consumer and waits for it to be gone: the one way a consumer may end other than exit 0. */
  readonly kill: (consumer: RunningChild) => Promise<void>;
  /**
   * Takes a consumer that ended on its own off the final exit-code check: the scenario has asserted how it ended
   * (and restarted it, as a supervisor would).
   */
  readonly accountFor: (consumer: RunningChild) => void;
}

/**
 * How long the results are left alone after the last process stopped before they are audited again: whatever
 * still lands then (a straggler's write, a transaction resolved late) would change the figures.
 */
const SETTLE_MS = 5_000;

/**
 * A producer writing [0, values) at full speed into a fresh 6-partition topic, `consumers` batch consumers (or
 * single consumers, `role`) in one group publishing results; `during` injects the fault. Ends with every consumer
 * stopped gracefully and the results audited.
 */
export async function runPipeline(
  t: AfterHook,
  options: {
    values: number;
    consumers: number;
    /** Which consumer service: the batch consumer unless told. */
    role?: "batch-consumer" | "single-consumer";
    env?: Record<string, string>;
    producerEnv?: Record<string, string>;
    during: (pipeline: Pipeline) => Promise<void>;
  },
): Promise<AuditReport> {
  const input = await createInputTopic(t, "chaos-in");
  const results = await createTestTopic(t, "chaos-results");
  const group = uniqueName("chaos");
  deleteGroupAfter(t, group);
  const role = options.role ?? "batch-consumer";
  const consumerEnv = {
    KAFKA_TOPIC: input,
    RESULTS_TOPIC: results,
    CONSUMER_GROUP: group,
    ...(role === "batch-consumer" ? { BATCH_SIZE: "500" } : {}),
    ...options.env,
  };
  const consumers: RunningChild[] = [];
  const startConsumer = () => {
    const consumer = startService(t, role, consumerEnv);
    consumers.push(consumer);
    return consumer;
  };
  for (let i = 0; i < options.consumers; i += 1) startConsumer();
  await Promise.all(consumers.map((consumer) => waitForAssignment(consumer)));

  const producer = startService(t, "producer", {
    KAFKA_TOPIC: input,
    PRODUCE_TO: String(options.values),
    ...PROGRESS,
    ...options.producerEnv,
  });
  const produced = (fraction: number) =>
    producer.waitForEvent(
      "producer.progress",
      600_000,
      (line) => Number(line.acknowledged) >= fraction * options.values,
    );
  const killed = new Set<RunningChild>();
  const kill = async (consumer: RunningChild) => {
    killed.add(consumer);
    consumer.signal("SIGKILL");
    assert.equal((await consumer.exited).signal, "SIGKILL", `killed consumer: ${consumer.stderr()}`);
  };
  const accountFor = (consumer: RunningChild) => void killed.add(consumer);
  await options.during({
    input,
    results,
    group,
    consumers,
    producer,
    startConsumer,
    produced,
    kill,
    accountFor,
  });

  assert.equal((await producer.exited).code, 0, `producer: ${producer.stderr()}`);
  // read_committed, as exactly-once readers must read; for at-least-once results it changes nothing.
  const complete = await auditWhenComplete(results, options.values);
  assert.equal(complete.missing, 0, `missing values, e.g. ${complete.missingSample.join(",")}`);
  // Every consumer ends with exit 0 (stopped here or by the scenario, on SIGTERM) or by the scenario's own SIGKILL:
  // one that died any other way (exit 1 on a fault it should have ridden out, a crash) fails the scenario even if
  // the figures look right.
  for (const consumer of consumers) {
    if (isAlive(consumer)) {
      assert.equal(await stopGracefully(consumer), 0, `${role}: ${consumer.stderr()}`);
    } else if (!killed.has(consumer)) {
      const { code, signal } = await consumer.exited;
      assert.equal(
        code,
        0,
        `a ${role} ended on its own (code ${code}, signal ${signal}): ${consumer.stderr()}`,
      );
    }
  }
  // The figures are those of the topic once every process has stopped: what the last stops wrote counts too.
  const report = await auditWhenComplete(results, options.values, 0);
  assert.equal(report.missing, 0, `missing values after the stops, e.g. ${report.missingSample.join(",")}`);
  await sleep(SETTLE_MS);
  const settled = await auditWhenComplete(results, options.values, 0);
  assert.deepEqual(
    { seen: settled.seen, missing: settled.missing, duplicates: settled.duplicates },
    { seen: report.seen, missing: report.missing, duplicates: report.duplicates },
    "nothing lands in the results once every process has stopped",
  );
  return report;
}
