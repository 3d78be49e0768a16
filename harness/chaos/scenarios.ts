// Fault-injection scenarios: real processes, real signals, the real local cluster. Each one asserts what
// kafka-fleet promises (throws when a promise is broken) and returns the figures of its run. Timings are
// reported, never asserted. Used by `make chaos` (full sizes) and, at small sizes, by `make test`.
import assert from "node:assert/strict";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";

import { forEachRecord, readTopicValues } from "@kafka-fleet/audit";
import type { Message } from "@kafka-fleet/kafka";
import { serializeInt } from "@kafka-fleet/serde";
import { DeadLetterHeader } from "@kafka-fleet/worker";

import {
  BOOTSTRAP,
  cluster,
  createInputTopic,
  createTestTopic,
  deleteGroupAfter,
  testAdmin,
  testProducer,
  uniqueName,
} from "../kafka.ts";
import {
  CRASH_TEST_SESSION,
  committedRecords,
  commitMark,
  startService,
  stopGracefully,
  waitForAssignment,
} from "../services.ts";
import { brokerOutage, groupCoordinator } from "./broker-outage.ts";
import { exactlyOnceScenarios } from "./exactly-once.ts";
import { networkScenarios } from "./network.ts";
import { operationsScenarios } from "./operations.ts";
import { resumeScenarios } from "./resume.ts";
import {
  CHAOS_MAX_UNCOMMITTED,
  auditWhenComplete,
  isAlive,
  ownsPartitions,
  runPipeline,
  type Scenario,
  type ScenarioResult,
  type Size,
} from "./pipeline.ts";

export type { Scenario, ScenarioResult, Size };

const brokerKill: Scenario = {
  name: "1. SIGKILL the broker that coordinates the group while producing and consuming; restart it later",
  short: true,
  async run(t, size) {
    const values = size === "full" ? 1_000_000 : 50_000;
    // Paced so that the stream outlasts the coordinator's move (the broker fenced, its partitions' leaders and
    // the group's coordinator moved): the consumers keep processing and committing through all of it.
    const rate = size === "full" ? 10_000 : 2_000;
    const outage = brokerOutage(t);
    let downFor = 0;
    const report = await runPipeline(t, {
      values,
      consumers: 3,
      producerEnv: { PRODUCE_RATE: String(rate) },
      async during({ produced, group, consumers }) {
        await produced(0.3);
        // The hardest broker to lose: the group's coordinator, which holds its sessions and takes its commits.
        const coordinator = await groupCoordinator(group);
        const mark = commitMark(consumers);
        // The pipeline must keep going on two brokers: more values get acknowledged while the node is down, and
        // it stays down until another broker has taken over the group: every member has had a commit accepted
        // since the kill.
        downFor = await outage.downWhile(coordinator, "kill", async () => {
          await produced(0.6);
          await mark.commitsAgain(120_000);
        });
      },
    });
    await outage.restored();
    // Losing a broker is not a consumer crash: the members' sessions outlive the coordinator's move, their
    // commits wait for the new coordinator, and no record is processed twice.
    assert.equal(report.duplicates, 0, `${report.duplicates} duplicates: a broker loss repeats nothing`);
    return {
      values,
      missing: report.missing,
      duplicates: report.duplicates,
      detail: `node ${outage.node ?? "?"} (the group's coordinator) down ${downFor.toFixed(1)} s, at ${rate.toLocaleString("en-US")} msg/s`,
    };
  },
};

const rollingRestart: Scenario = {
  name: "2. Rolling restart of all 3 brokers under load",
  short: true,
  async run(t, size) {
    const values = size === "full" ? 500_000 : 60_000;
    // Paced so that the whole restart (about a minute) happens while values are produced and consumed.
    const rate = size === "full" ? 4000 : 1000;
    // The last broker restarted leads nothing until the controller's periodic election: give it back its share.
    t.after(() =>
      cluster("wait-balanced", "120").then(
        () => undefined,
        () => undefined,
      ),
    );
    const report = await runPipeline(t, {
      values,
      consumers: 3,
      producerEnv: { PRODUCE_RATE: String(rate) },
      async during({ produced }) {
        await produced(0.1);
        for (const node of ["1", "2", "3"]) {
          await cluster("stop", node);
          await cluster("start", node);
          await cluster("wait-isr", "120");
        }
      },
    });
    assert.equal(report.duplicates, 0, "a graceful rolling restart repeats nothing");
    return {
      values,
      missing: report.missing,
      duplicates: report.duplicates,
      detail: `nodes 1, 2, 3 stopped (SIGTERM) and started one at a time, at ${rate.toLocaleString("en-US")} msg/s`,
    };
  },
};

function consumerKills(guarantee: "at_least_once" | "exactly_once"): Scenario {
  return {
    name: `3. SIGKILL a batch consumer mid-batch, repeatedly (${guarantee})`,
    short: true,
    async run(t, size) {
      const values = size === "full" ? 300_000 : 30_000;
      const kills = size === "full" ? 10 : 3;
      const batchSize = 500;
      // A killed consumer may repeat every batch under way and not committed: at most this many.
      const uncommitted = CHAOS_MAX_UNCOMMITTED;
      const bound = kills * uncommitted * batchSize;
      // Paced so the stream outlasts the kills: each costs a session timeout (10 s here) before the group moves on.
      const rate = size === "full" ? 2000 : 700;
      const report = await runPipeline(t, {
        values,
        consumers: 2,
        env: {
          PROCESSING_GUARANTEE: guarantee,
          BATCH_SIZE: String(batchSize),
          BATCH_MAX_UNCOMMITTED: String(uncommitted),
          ...CRASH_TEST_SESSION,
        },
        producerEnv: { PRODUCE_RATE: String(rate) },
        async during({ consumers, startConsumer, produced, kill }) {
          await produced(0.05);
          for (let round = 0; round < kills; round += 1) {
            const victim = consumers.find((consumer) => isAlive(consumer) && ownsPartitions(consumer));
            assert.ok(victim, "a consumer with partitions to kill");
            // Mid-stream: once it committed another batch, while it works on the next one.
            await commitMark([victim]).commitsAgain(120_000);
            await kill(victim);
            await waitForAssignment(startConsumer(), 120_000);
          }
        },
      });
      if (guarantee === "exactly_once") {
        assert.equal(report.duplicates, 0, "exactly-once: no duplicates for read_committed readers");
      } else {
        assert.ok(
          report.duplicates <= bound,
          `at most BATCH_MAX_UNCOMMITTED (${uncommitted}) batches per kill: ${report.duplicates} > ${bound}`,
        );
      }
      return {
        values,
        missing: report.missing,
        duplicates: report.duplicates,
        detail: `${kills} kills, BATCH_SIZE ${batchSize}, BATCH_MAX_UNCOMMITTED ${uncommitted}; bound ${guarantee === "exactly_once" ? 0 : bound}`,
      };
    },
  };
}

const scaling: Scenario = {
  name: "4. Scale batch consumers 1 → 3 → 1 with SIGTERM while producing",
  short: false,
  async run(t, size) {
    const values = size === "full" ? 300_000 : 30_000;
    // Paced, so the scaling happens while values are still arriving, and the consumers keep up.
    const rate = size === "full" ? 5000 : 3000;
    const report = await runPipeline(t, {
      values,
      consumers: 1,
      env: { BATCH_SIZE: "100" },
      producerEnv: { PRODUCE_RATE: String(rate) },
      async during({ startConsumer, produced }) {
        await produced(0.1);
        const extra = [startConsumer(), startConsumer()];
        await Promise.all(extra.map((consumer) => waitForAssignment(consumer)));
        await produced(0.5);
        for (const consumer of extra) assert.equal(await stopGracefully(consumer), 0, consumer.stderr());
      },
    });
    assert.equal(report.duplicates, 0, "graceful rebalances repeat nothing");
    return {
      values,
      missing: report.missing,
      duplicates: report.duplicates,
      detail: `2 replicas added at 10%, stopped at 50% of the range; ${rate} msg/s, BATCH_SIZE 100`,
    };
  },
};

const poisonValues: Scenario = {
  name: "5. Poison values in the stream (null, 0, 7, 9 bytes, 1 MiB)",
  short: true,
  async run(t, size) {
    const values = size === "full" ? 100_000 : 10_000;
    // The input must accept the 1 MiB record in the first place; its dead-letter topic gets that limit plus room
    // for the dlq.* headers.
    const topicConfig = { "max.message.bytes": String(4 * 1024 * 1024) };
    const input = await createInputTopic(t, "chaos-poison", 6, topicConfig);
    const results = await createTestTopic(t, "chaos-poison-results");
    const group = uniqueName("chaos-poison");
    deleteGroupAfter(t, group);
    const producer = await testProducer(t, { "message.max.bytes": 8 * 1024 * 1024 });
    const poison: Array<Buffer | null> = [
      null,
      Buffer.alloc(0),
      Buffer.alloc(7),
      Buffer.alloc(9),
      Buffer.alloc(1024 * 1024),
    ];
    const sends: Array<Promise<void>> = [];
    const every = Math.floor(values / poison.length);
    for (let value = 0; value < values; value += 1) {
      sends.push(producer.send({ topic: input, value: serializeInt(value) }));
      if (value % every === 0 && value / every < poison.length) {
        sends.push(producer.send({ topic: input, value: poison[value / every] as Buffer }));
      }
      if (sends.length >= 10_000) await Promise.all(sends.splice(0));
    }
    await Promise.all(sends);

    const consumers = [1, 2].map(() =>
      startService(t, "batch-consumer", {
        KAFKA_TOPIC: input,
        RESULTS_TOPIC: results,
        CONSUMER_GROUP: group,
      }),
    );
    const report = await auditWhenComplete(results, values);
    const letters: Message[] = [];
    for (let attempt = 0; attempt < 30 && letters.length < poison.length; attempt += 1) {
      letters.splice(0);
      await forEachRecord({ bootstrapServers: BOOTSTRAP, topic: `${input}.dlq` }, (message) =>
        letters.push(message),
      );
      if (letters.length < poison.length) await sleep(1000);
    }
    for (const consumer of consumers) assert.equal(await stopGracefully(consumer), 0, consumer.stderr());
    assert.equal(report.missing, 0);
    assert.equal(letters.length, poison.length, "every poison value is in the dead-letter topic");
    const sizes = letters.map((letter) => letter.value?.length ?? -1).sort((a, b) => a - b);
    assert.deepEqual(sizes, [-1, 0, 7, 9, 1024 * 1024]);
    for (const letter of letters) {
      const headers = Object.assign({}, ...(letter.headers ?? [])) as Record<string, unknown>;
      assert.equal(String(headers[DeadLetterHeader.originalTopic]), input);
      assert.match(String(headers[DeadLetterHeader.errorCode]), /^SERDE_/);
    }
    const restarts = consumers.filter((consumer) =>
      consumer.logs.some((line) => line.event === "service.failed"),
    );
    assert.equal(restarts.length, 0, "no consumer failed");
    return {
      values,
      missing: report.missing,
      duplicates: report.duplicates,
      detail: `${letters.length}/5 poison values dead-lettered with headers; 0 consumer failures`,
    };
  },
};

const badConfiguration: Scenario = {
  name: "6. Bad configuration and unreachable brokers",
  short: false,
  async run(t) {
    const cases: Array<[Parameters<typeof startService>[1], Record<string, string>, number]> = [
      ["producer", { PRODUCE_RATE: "-1" }, 2],
      ["producer", { PRODUCE_FROM: "x" }, 2],
      ["producer", { PRODUCE_TO: "9223372036854775808" }, 2],
      ["single-consumer", { METRICS_PORT: "99999" }, 2],
      ["single-consumer", { LOG_LEVEL: "chatty" }, 2],
      ["batch-consumer", { BATCH_SIZE: "ten" }, 2],
      ["batch-consumer", { SHUTDOWN_GRACE_MS: "0" }, 2],
      ["batch-consumer", { PROCESSING_GUARANTEE: "exactly_once" }, 2],
      ["batch-consumer", { KAFKA_BOOTSTRAP_SERVERS: "127.0.0.1:1", KAFKA_CONNECT_TIMEOUT_MS: "2000" }, 1],
      ["producer", { KAFKA_BOOTSTRAP_SERVERS: "127.0.0.1:1", KAFKA_CONNECT_TIMEOUT_MS: "2000" }, 1],
    ];
    for (const [role, env, expected] of cases) {
      const running = startService(t, role, env);
      const { code } = await running.exited;
      assert.equal(code, expected, `${typeof role === "string" ? role : role.path} ${JSON.stringify(env)}`);
      const said =
        expected === 2
          ? running.stderr().trim()
          : String(running.logs.find((l) => l.event === "service.failed")?.message);
      assert.equal(said.split("\n").length, 1, said);
      assert.doesNotMatch(running.stderr(), /\n\s+at /, "no stack trace");
    }
    return {
      values: 0,
      missing: null,
      duplicates: null,
      detail: `${cases.length}/${cases.length} refused with one line (exit 2 config, exit 1 unreachable)`,
    };
  },
};

const busyShutdown: Scenario = {
  name: "7. SIGTERM to exit of a busy batch consumer",
  short: true,
  async run(t, size) {
    const values = size === "full" ? 200_000 : 50_000;
    const input = await createInputTopic(t, "chaos-stop");
    const results = await createTestTopic(t, "chaos-stop-results");
    const group = uniqueName("chaos-stop");
    deleteGroupAfter(t, group);
    const producer = startService(t, "producer", { KAFKA_TOPIC: input, PRODUCE_TO: String(values) });
    assert.equal((await producer.exited).code, 0);
    const consumer = startService(t, "batch-consumer", {
      KAFKA_TOPIC: input,
      RESULTS_TOPIC: results,
      CONSUMER_GROUP: group,
      BATCH_SIZE: "500",
      // Few batches under way, so that the stop finds most of the stream still to come (at the default, 100
      // batches of 500 could take the whole range in before the signal, and leave the successor nothing to do).
      BATCH_MAX_UNCOMMITTED: String(CHAOS_MAX_UNCOMMITTED),
      SHUTDOWN_GRACE_MS: "10000",
    });
    // Busy: 20 batches' worth committed, most of the stream still to come.
    await consumer.waitForEvent("batch.committed", 60_000, () => committedRecords(consumer) >= 20 * 500);
    const signalled = performance.now();
    const code = await stopGracefully(consumer);
    const seconds = (performance.now() - signalled) / 1000;
    assert.equal(code, 0, "exit 0: stopped within SHUTDOWN_GRACE_MS (past it, the service exits 1)");
    const described = await testAdmin(t).describeGroup(group);
    assert.equal(described?.members.length, 0, "left the group");
    const { values: seen } = await readTopicValues({ bootstrapServers: BOOTSTRAP, topic: results });
    const committed = (await testAdmin(t).committedOffsets(group, input, 6)).reduce(
      (sum, { offset }) => sum + Math.max(0, offset),
      0,
    );
    assert.equal(seen.length, committed, "committed exactly what it processed");
    // A successor in the same group starts where the stop committed: together they process the range once.
    const successor = startService(t, "batch-consumer", {
      KAFKA_TOPIC: input,
      RESULTS_TOPIC: results,
      CONSUMER_GROUP: group,
      BATCH_SIZE: "500",
    });
    const complete = await auditWhenComplete(results, values);
    assert.equal(await stopGracefully(successor), 0, `successor: ${successor.stderr()}`);
    const report = await auditWhenComplete(results, values, 0);
    assert.equal(report.missing, 0, `missing values, e.g. ${complete.missingSample.join(",")}`);
    assert.equal(report.duplicates, 0, "a graceful stop repeats nothing");
    return {
      values,
      missing: report.missing,
      duplicates: report.duplicates,
      detail: `SIGTERM → exit 0 in ${seconds.toFixed(2)} s (grace 10 s), group left, ${committed.toLocaleString("en-US")} processed = committed; a successor finished the range`,
    };
  },
};

/** Every scenario by id, in the order `make chaos` runs them; the labs name theirs by id. */
const byId = {
  "broker-kill": brokerKill,
  "rolling-restart": rollingRestart,
  "consumer-kills-at-least-once": consumerKills("at_least_once"),
  "consumer-kills-exactly-once": consumerKills("exactly_once"),
  scaling,
  "poison-values": poisonValues,
  "bad-configuration": badConfiguration,
  "busy-shutdown": busyShutdown,
  ...operationsScenarios,
  ...networkScenarios,
  ...exactlyOnceScenarios,
  ...resumeScenarios,
} as const satisfies Record<string, Scenario>;

export type ScenarioId = keyof typeof byId;

export const scenarios: readonly Scenario[] = Object.values(byId);

/** The scenario with this id: how the labs name the faults they tell. */
export function scenarioById(id: ScenarioId): Scenario {
  return byId[id];
}
