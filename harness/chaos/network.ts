// Network faults between clients and brokers, through a fault proxy (Toxiproxy: harness/chaos/toxiproxy.ts): a
// broker the clients cannot reach while it stays in the cluster, a consumer cut off from every broker past its
// session, and a slow, lossy network on every client link. Brokers and controllers keep talking to each other
// directly: the faults are on the clients' side only.
import assert from "node:assert/strict";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";

import type { LogLine, RunningChild } from "../child.ts";
import { CRASH_TEST_SESSION, commitMark, startService, waitForAssignment } from "../services.ts";
import { groupCoordinator } from "./broker-outage.ts";
import { CHAOS_MAX_UNCOMMITTED, isAlive, runPipeline, type Scenario } from "./pipeline.ts";
import { FaultProxy, PROXIED_BOOTSTRAP, type Degradation } from "./toxiproxy.ts";

/** Every broker connection of the client through the fault proxy. */
const THROUGH_PROXY = { KAFKA_BOOTSTRAP_SERVERS: PROXIED_BOOTSTRAP };

/** The session the cut-off consumer is given (CRASH_TEST_SESSION): a silent member is gone after it. */
const SESSION_TIMEOUT_MS = Number(CRASH_TEST_SESSION.KAFKA_CLIENT_SESSION_TIMEOUT_MS);

const saidSince = (running: RunningChild, from: number, event: string, match: (l: LogLine) => boolean) =>
  running.logs.slice(from).some((line) => line.event === event && match(line));

/**
 * The broker that coordinates the group, cut off from every client (producer and consumers) while it stays in the
 * cluster: it keeps its leaderships and the group, and the clients can only wait for it. Asked by an admin client
 * that talks to the brokers directly and is closed before the cut.
 */
const brokerCutOff: Scenario = {
  name: "11. Cut the group's coordinator off from every client for 30 s while producing and consuming",
  short: true,
  async run(t, size) {
    const values = size === "full" ? 300_000 : 40_000;
    const rate = size === "full" ? 5_000 : 2_000;
    const cutMs = size === "full" ? 30_000 : 10_000;
    const proxy = await FaultProxy.start(t);
    let cut = 0;
    let node = 0;
    const report = await runPipeline(t, {
      values,
      consumers: 3,
      env: THROUGH_PROXY,
      producerEnv: { ...THROUGH_PROXY, PRODUCE_RATE: String(rate) },
      async during({ produced, group, consumers }) {
        await produced(0.2);
        node = await groupCoordinator(group);
        const mark = commitMark(consumers);
        const cutAt = performance.now();
        await proxy.cut([node]);
        await sleep(cutMs);
        await proxy.restore([node]);
        cut = (performance.now() - cutAt) / 1000;
        // The group carries on once the coordinator is reachable again: every member has a commit accepted.
        await mark.commitsAgain(180_000);
      },
    });
    await proxy.heal();
    // The broker never left the cluster and no member its group: nothing is processed twice.
    assert.equal(
      report.duplicates,
      0,
      `${report.duplicates} duplicates: a broker out of reach repeats nothing`,
    );
    return {
      values,
      missing: report.missing,
      duplicates: report.duplicates,
      detail: `node ${node} (the group's coordinator) out of every client's reach ${cut.toFixed(1)} s (black hole, both ways), at ${rate.toLocaleString("en-US")} msg/s`,
    };
  },
};

/**
 * One batch consumer cut off from every broker (its only way in is the fault proxy; the other member and the
 * producer talk to the brokers directly) for longer than its session: the group gives its partitions away. Back on
 * the network, it must notice that it lost them, rejoin, and the group carry on.
 */
const consumerCutOff: Scenario = {
  name: "12. Cut one batch consumer off from every broker past its session, then reconnect it",
  short: true,
  async run(t, size) {
    const values = size === "full" ? 120_000 : 45_000;
    const rate = size === "full" ? 2_000 : 1_000;
    const batchSize = 500;
    const cutMs = SESSION_TIMEOUT_MS + (size === "full" ? 20_000 : 6_000);
    const bound = CHAOS_MAX_UNCOMMITTED * batchSize;
    const proxy = await FaultProxy.start(t);
    const env = {
      BATCH_SIZE: String(batchSize),
      BATCH_MAX_UNCOMMITTED: String(CHAOS_MAX_UNCOMMITTED),
      ...CRASH_TEST_SESSION,
    };
    let noticed = "";
    const report = await runPipeline(t, {
      values,
      consumers: 1,
      env,
      producerEnv: { PRODUCE_RATE: String(rate) },
      async during({ input, results, group, consumers, produced }) {
        const [survivor] = consumers;
        assert.ok(survivor, "the member that stays connected");
        const victim = startService(t, "batch-consumer", {
          KAFKA_TOPIC: input,
          RESULTS_TOPIC: results,
          CONSUMER_GROUP: group,
          ...env,
          ...THROUGH_PROXY,
        });
        // One of the pipeline's consumers from now on: stopped gracefully and audited with the others.
        consumers.push(victim);
        await waitForAssignment(victim, 120_000);
        await produced(0.1);
        // Holding batches: it just committed one and works on the next ones.
        await commitMark([victim]).commitsAgain(120_000);
        const victimAt = victim.logs.length;
        const survivorAt = survivor.logs.length;
        await proxy.cut();
        // The group notices the silence after the session and hands everything to the survivor.
        await survivor.waitForEvent(
          "rebalance.assigned",
          SESSION_TIMEOUT_MS + 60_000,
          (line) => survivor.logs.indexOf(line) >= survivorAt,
        );
        await sleep(cutMs - SESSION_TIMEOUT_MS);
        const lostDuringCut = saidSince(victim, victimAt, "rebalance.revoked", (line) => line.lost === true);
        await proxy.restore();
        const restoredAt = victim.logs.length;
        // Back on the network: it learns its partitions are gone (if it had not already), rejoins and gets some.
        await victim.waitForEvent(
          "rebalance.assigned",
          120_000,
          (line) => victim.logs.indexOf(line) >= restoredAt && Number(line.owned) > 0,
        );
        assert.ok(isAlive(victim), `the cut-off consumer carries on: ${victim.stderr()}`);
        assert.ok(
          saidSince(victim, victimAt, "rebalance.revoked", (line) => line.lost === true),
          "the cut-off consumer learns its partitions were lost",
        );
        noticed = lostDuringCut
          ? "lost its partitions while cut off"
          : "learnt its partitions were lost once back";
      },
    });
    await proxy.heal();
    assert.ok(
      report.duplicates <= bound,
      `at most BATCH_MAX_UNCOMMITTED (${CHAOS_MAX_UNCOMMITTED}) batches: ${report.duplicates} > ${bound}`,
    );
    return {
      values,
      missing: report.missing,
      duplicates: report.duplicates,
      detail: `cut off ${cutMs / 1000} s (session ${SESSION_TIMEOUT_MS / 1000} s), black hole both ways; ${noticed}; rejoined with some; bound ${bound}`,
    };
  },
};

/**
 * Every client link slow and lossy for a while. Toxiproxy works on TCP streams, where a lost packet never shows:
 * TCP sends it again and the stream waits. So loss is modelled as TCP delivers it (the segment_loss toxic of
 * deploy/local/toxiproxy/main.go): each 1448-byte segment is lost with probability `loss`, and a loss holds its
 * stream back one retransmission timeout (Linux's 200 ms minimum on top of the 200 ms round trip), nothing dropped.
 */
const DEGRADED: Degradation = { latencyMs: 100, jitterMs: 10, loss: 0.01, stallMs: 400 };

const degradedNetwork: Scenario = {
  name: "13. 100 ms latency and 1 % segment loss on every client link, both ways, for a minute",
  short: true,
  async run(t, size) {
    const degradedMs = size === "full" ? 60_000 : 20_000;
    const rate = size === "full" ? 3_000 : 1_500;
    // Paced so that values keep flowing before, through and after the degradation.
    const values = size === "full" ? 300_000 : 50_000;
    const proxy = await FaultProxy.start(t);
    let degraded = 0;
    const report = await runPipeline(t, {
      values,
      consumers: 3,
      env: THROUGH_PROXY,
      producerEnv: { ...THROUGH_PROXY, PRODUCE_RATE: String(rate) },
      async during({ produced, consumers }) {
        await produced(0.1);
        const mark = commitMark(consumers);
        const from = performance.now();
        await proxy.degrade(DEGRADED);
        await sleep(degradedMs);
        // Work went on meanwhile: every member had a commit accepted through the degraded links.
        for (const [i, committed] of mark.committedSince().entries()) {
          assert.ok(committed, `consumer ${i + 1} committed while the network was degraded`);
        }
        await proxy.heal();
        degraded = (performance.now() - from) / 1000;
      },
    });
    // Slow is not broken: no session expires, no batch is redone.
    assert.equal(report.duplicates, 0, `${report.duplicates} duplicates: a slow network repeats nothing`);
    return {
      values,
      missing: report.missing,
      duplicates: report.duplicates,
      detail: `${degraded.toFixed(0)} s of +${DEGRADED.latencyMs} ms ±${DEGRADED.jitterMs} ms each way, ${DEGRADED.loss * 100} % of 1448-byte segments stalled ${DEGRADED.stallMs} ms; producer and 3 consumers at ${rate.toLocaleString("en-US")} msg/s`,
    };
  },
};

export const networkScenarios = {
  "broker-cut-off": brokerCutOff,
  "consumer-cut-off": consumerCutOff,
  "degraded-network": degradedNetwork,
} as const satisfies Record<string, Scenario>;
