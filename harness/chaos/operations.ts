// Fault-injection scenarios of day-to-day operation and its accidents: a consumer paused past its session (a
// zombie), a broker that stops answering without dying, and a cluster below min.insync.replicas.
import assert from "node:assert/strict";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";

import { forEachRecord } from "@kafka-fleet/audit";
import { deserializeInt } from "@kafka-fleet/serde";

import type { LogLine, RunningChild } from "../child.ts";
import { BOOTSTRAP, cluster, type AfterHook } from "../kafka.ts";
import { CRASH_TEST_SESSION, commitMark } from "../services.ts";
import { CHAOS_MAX_UNCOMMITTED, isAlive, ownsPartitions, runPipeline, type Scenario } from "./pipeline.ts";

/** The session the frozen consumer is given (CRASH_TEST_SESSION): a silent member is gone after it. */
const SESSION_TIMEOUT_MS = Number(CRASH_TEST_SESSION.KAFKA_CLIENT_SESSION_TIMEOUT_MS);

const logsSince = (running: RunningChild, from: number) => running.logs.slice(from);
const saidAfter = (
  running: RunningChild,
  from: number,
  event: string,
  match: (l: LogLine) => boolean = () => true,
) => logsSince(running, from).some((line) => line.event === event && match(line));

/**
 * A batch consumer frozen (SIGSTOP) while it holds a batch, for longer than its session: the group gives its
 * partitions to the other member. Thawed (SIGCONT), it finishes the batch it held and tries to commit: too late.
 */
function zombieConsumer(guarantee: "at_least_once" | "exactly_once"): Scenario {
  return {
    name: `8. SIGSTOP a batch consumer holding a batch past its session, then SIGCONT (${guarantee})`,
    short: true,
    async run(t, size) {
      const values = size === "full" ? 100_000 : 30_000;
      const batchSize = 500;
      const frozenMs = SESSION_TIMEOUT_MS + 6_000;
      const bound = CHAOS_MAX_UNCOMMITTED * batchSize;
      const report = await runPipeline(t, {
        values,
        consumers: 2,
        env: {
          PROCESSING_GUARANTEE: guarantee,
          BATCH_SIZE: String(batchSize),
          BATCH_MAX_UNCOMMITTED: String(CHAOS_MAX_UNCOMMITTED),
          ...CRASH_TEST_SESSION,
        },
        // Paced so that values keep arriving through the freeze and after it.
        producerEnv: { PRODUCE_RATE: String(size === "full" ? 2000 : 1000) },
        async during({ consumers, produced }) {
          await produced(0.1);
          const zombie = consumers.find((consumer) => isAlive(consumer) && ownsPartitions(consumer));
          const survivor = consumers.find((consumer) => consumer !== zombie);
          assert.ok(zombie && survivor, "two members, one of them with partitions");
          // Holding a batch: it just committed one and is busy with the next ones.
          await commitMark([zombie]).commitsAgain(60_000);
          const frozenAt = zombie.logs.length;
          const survivorAt = survivor.logs.length;
          zombie.signal("SIGSTOP");
          // The group notices the silence after the session timeout and hands everything to the survivor.
          await survivor.waitForEvent(
            "rebalance.assigned",
            SESSION_TIMEOUT_MS + 50_000,
            (line) => survivor.logs.indexOf(line) >= survivorAt,
          );
          const remaining = frozenMs - SESSION_TIMEOUT_MS;
          await sleep(Math.max(0, remaining));
          zombie.signal("SIGCONT");
          // Now it learns that its partitions are gone: it drops what it held and rejoins. Exiting instead would
          // break the promise (a rebalance never ends the service), and runPipeline fails on it.
          const deadline = Date.now() + 60_000;
          while (Date.now() < deadline && isAlive(zombie)) {
            const rejoined =
              saidAfter(zombie, frozenAt, "rebalance.revoked", (line) => line.lost === true) &&
              saidAfter(zombie, frozenAt, "rebalance.assigned");
            if (rejoined) break;
            await sleep(500);
          }
          assert.ok(isAlive(zombie), `the zombie keeps running: ${zombie.stderr()}`);
          assert.ok(
            saidAfter(zombie, frozenAt, "rebalance.revoked", (line) => line.lost === true),
            `the zombie learns its partitions were lost; logged: ${describeEvents(logsSince(zombie, frozenAt))}`,
          );
          assert.ok(saidAfter(zombie, frozenAt, "rebalance.assigned"), "the zombie rejoins the group");
        },
      });
      if (guarantee === "exactly_once") {
        assert.equal(report.duplicates, 0, "exactly-once: the zombie's transaction is fenced");
      } else {
        assert.ok(report.duplicates <= bound, `at most the batches it held: ${report.duplicates} > ${bound}`);
      }
      return {
        values,
        missing: report.missing,
        duplicates: report.duplicates,
        detail: `frozen ${frozenMs / 1000} s (session ${SESSION_TIMEOUT_MS / 1000} s); partitions lost, rejoined and carried on; bound ${guarantee === "exactly_once" ? 0 : bound}`,
      };
    },
  };
}

function describeEvents(lines: readonly LogLine[]): string {
  return lines
    .filter((line) => line.event !== "batch.committed")
    .map(
      (line) => `${line.event ?? "?"}${line.lost === undefined ? "" : `(lost=${JSON.stringify(line.lost)})`}`,
    )
    .join(", ")
    .slice(0, 600);
}

/** End-to-end latency (input record timestamp → result record timestamp) of each value, by input timestamp. */
async function latencies(input: string, results: string): Promise<Array<{ at: number; ms: number }>> {
  const produced = new Map<bigint, number>();
  await forEachRecord({ bootstrapServers: BOOTSTRAP, topic: input }, (message) => {
    if (message.value !== null && message.value !== undefined && message.timestamp !== undefined)
      produced.set(deserializeInt(message.value), message.timestamp);
  });
  const out: Array<{ at: number; ms: number }> = [];
  await forEachRecord({ bootstrapServers: BOOTSTRAP, topic: results }, (message) => {
    if (message.value === null || message.value === undefined || message.timestamp === undefined) return;
    const at = produced.get(deserializeInt(message.value));
    if (at !== undefined) out.push({ at, ms: message.timestamp - at });
  });
  return out;
}

function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

/** A broker that stops answering (SIGSTOP: a long GC pause, a hung disk) under load, then comes back. */
const frozenBroker: Scenario = {
  name: "9. SIGSTOP a broker for 30 s under load, then SIGCONT",
  short: true,
  async run(t: AfterHook, size) {
    const values = size === "full" ? 240_000 : 60_000;
    const frozenMs = size === "full" ? 30_000 : 15_000;
    t.after(async () => {
      await cluster("thaw", "2").catch(() => undefined);
      await cluster("wait-balanced", "120").catch(() => undefined);
    });
    let window = { from: 0, to: 0 };
    let input = "";
    let results = "";
    const report = await runPipeline(t, {
      values,
      consumers: 2,
      env: { BATCH_SIZE: "100" },
      producerEnv: { PRODUCE_RATE: "2000" },
      async during(pipeline) {
        ({ input, results } = pipeline);
        await pipeline.produced(0.15);
        const from = Date.now();
        await cluster("freeze", "2");
        await sleep(frozenMs);
        await cluster("thaw", "2");
        window = { from, to: Date.now() };
      },
    });
    await cluster("wait-isr", "120");
    const all = await latencies(input, results);
    const during = all.filter(({ at }) => at >= window.from && at <= window.to).map(({ ms }) => ms);
    const before = all.filter(({ at }) => at < window.from).map(({ ms }) => ms);
    const p99 = percentile(during, 99);
    return {
      values,
      missing: report.missing,
      duplicates: report.duplicates,
      detail: `broker 2 frozen ${frozenMs / 1000} s at 2,000 msg/s; values produced during the freeze (${during.length.toLocaleString("en-US")}): e2e p50 ${fmtMs(percentile(during, 50))}, p99 ${fmtMs(p99)}; before it: p50 ${fmtMs(percentile(before, 50))}, p99 ${fmtMs(percentile(before, 99))}`,
    };
  },
};

const fmtMs = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);

/**
 * Two brokers down out of three: no partition has min.insync.replicas (2) in sync, so nothing can be
 * acknowledged. The producer must not count anything as sent, and must finish the range once they return.
 */
const belowMinIsr: Scenario = {
  name: "10. Two brokers down (below min.insync.replicas), then back",
  short: true,
  async run(t, size) {
    // The range must outlast the two controlled stops (8 s here, longer on a loaded machine) and the time held
    // down: at 40,000 (20 s) a slow CI machine's producer finished, every value acknowledged, before the second
    // broker was down, and the scenario failed on a producer that had exited 0.
    const values = size === "full" ? 120_000 : 80_000;
    const downMs = size === "full" ? 30_000 : 15_000;
    t.after(async () => {
      for (const node of ["2", "3"]) await cluster("start", node).catch(() => undefined);
      await cluster("wait-balanced", "120").catch(() => undefined);
    });
    let heldDown = 0;
    let acknowledgedWhileDown = 0;
    const report = await runPipeline(t, {
      values,
      consumers: 1,
      producerEnv: { PRODUCE_RATE: "2000" },
      async during({ producer, produced }) {
        await produced(0.2);
        await cluster("stop", "3");
        await cluster("stop", "2");
        // The producer's count as of a progress line written from now on (they come every 500 ms): an older
        // line, written before the stops, would show no progress whatever happened since.
        const acknowledged = async () => {
          const from = producer.logs.length;
          const line = await producer.waitForEvent(
            "producer.progress",
            30_000,
            (progress) => producer.logs.indexOf(progress) >= from,
          );
          return Number(line.acknowledged);
        };
        // Requests already answered before the second stop may still be reported for a moment.
        await sleep(3_000);
        const first = await acknowledged();
        const downAt = performance.now();
        await sleep(downMs);
        acknowledgedWhileDown = (await acknowledged()) - first;
        heldDown = (performance.now() - downAt) / 1000;
        assert.ok(isAlive(producer), `the producer holds the values as backpressure: ${producer.stderr()}`);
        for (const node of ["2", "3"]) await cluster("start", node);
      },
    });
    await cluster("wait-isr", "120");
    assert.equal(acknowledgedWhileDown, 0, "nothing counts as acknowledged below min.insync.replicas");
    return {
      values,
      missing: report.missing,
      duplicates: report.duplicates,
      detail: `nodes 2 and 3 stopped for ${heldDown.toFixed(0)} s at 2,000 msg/s: 0 values acknowledged meanwhile; the range completed after`,
    };
  },
};

export const operationsScenarios = {
  "frozen-consumer-at-least-once": zombieConsumer("at_least_once"),
  "frozen-consumer-exactly-once": zombieConsumer("exactly_once"),
  "frozen-broker": frozenBroker,
  "below-min-isr": belowMinIsr,
} as const satisfies Record<string, Scenario>;
