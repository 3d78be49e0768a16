// Exactly-once under broker faults: the batch consumers run PROCESSING_GUARANTEE=exactly_once while the broker
// that coordinates their transactions is SIGKILLed, or stopped, and started again; a read_committed reader follows
// the results throughout and counts what it sees twice, and where a partition's results come out of input order,
// during the fault and after it (Kafka's own system tests bounce brokers under transactions with such a reader).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";

import { forEachRecord } from "@kafka-fleet/audit";
import { deserializeInt } from "@kafka-fleet/serde";

import { BOOTSTRAP } from "../kafka.ts";
import type { RunningChild } from "../child.ts";
import { REPO_ROOT } from "../process.ts";
import { brokerOutage } from "./broker-outage.ts";
import { CommittedReader, orderViolations } from "./committed-reader.ts";
import { isAlive, runPipeline, type Scenario } from "./pipeline.ts";

const run = promisify(execFile);

/**
 * The broker coordinating each transactional.id of `group`'s exactly-once members (the services name theirs
 * `kafka-fleet-<group>-…`), from Kafka's own TransactionsCommand: ListTransactions asks every broker which
 * transactional ids it coordinates.
 */
export async function transactionCoordinators(group: string): Promise<Map<string, number>> {
  const { stdout } = await run(
    "java",
    [
      // A quick start for a short-lived tool, as deploy/local/cluster.sh runs its own.
      "-Xmx256m",
      "-XX:+UseSerialGC",
      "-XX:TieredStopAtLevel=1",
      "-Xshare:auto",
      `-Dlog4j2.configurationFile=${REPO_ROOT}deploy/local/log4j2-tools.xml`,
      "-cp",
      `${REPO_ROOT}.run/kafka-jars/*`,
      "org.apache.kafka.tools.TransactionsCommand",
      "--bootstrap-server",
      BOOTSTRAP.join(","),
      "list",
    ],
    { timeout: 60_000 },
  );
  return coordinatorsIn(stdout, `kafka-fleet-${group}-`);
}

/** Parses TransactionsCommand's `list` table (TransactionalId, Coordinator, ProducerId, TransactionState). */
export function coordinatorsIn(table: string, prefix: string): Map<string, number> {
  const [header, ...rows] = table.trim().split("\n");
  const columns = (header ?? "").trim().split(/\s+/);
  const id = columns.indexOf("TransactionalId");
  const coordinator = columns.indexOf("Coordinator");
  assert.ok(id >= 0 && coordinator >= 0, `TransactionsCommand list printed no table: ${table.slice(0, 200)}`);
  const found = new Map<string, number>();
  for (const row of rows) {
    const cells = row.trim().split(/\s+/);
    const name = cells[id];
    if (name?.startsWith(prefix) === true) found.set(name, Number(cells[coordinator]));
  }
  return found;
}

/** The broker that coordinates the most of `coordinators`' transactional ids. */
function busiest(coordinators: ReadonlyMap<string, number>): { broker: number; coordinated: number } {
  const counts = new Map<number, number>();
  for (const broker of coordinators.values()) counts.set(broker, (counts.get(broker) ?? 0) + 1);
  const [broker, coordinated] = [...counts].sort((a, b) => b[1] - a[1])[0] ?? [-1, 0];
  return { broker, coordinated };
}

function coordinatorFault(fault: "kill" | "stop"): Scenario {
  const how = fault === "kill" ? "SIGKILL" : "Stop (SIGTERM)";
  return {
    name: `${fault === "kill" ? 20 : 21}. ${how} the broker coordinating the exactly-once consumers' transactions, with a read_committed reader; restart it later`,
    short: true,
    async run(t, size) {
      const values = size === "full" ? 200_000 : 30_000;
      // Paced so the stream outlasts the fault: the transactions move to another coordinator while values arrive.
      const rate = size === "full" ? 2000 : 500;
      const outage = brokerOutage(t);
      let reader: CommittedReader | undefined;
      t.after(() => reader?.close().catch(() => undefined));
      let downFor = 0;
      let coordinated = "";
      let seenDuring = 0;
      let restarts: string[] = [];
      let input = "";
      const report = await runPipeline(t, {
        values,
        consumers: 2,
        env: { PROCESSING_GUARANTEE: "exactly_once", BATCH_SIZE: "500" },
        producerEnv: { PRODUCE_RATE: String(rate) },
        async during({
          produced,
          group,
          consumers,
          results,
          producer,
          startConsumer,
          accountFor,
          ...pipeline
        }) {
          input = pipeline.input;
          reader = await CommittedReader.start(results, "before");
          // Asked first: Kafka's tool takes a JVM start, seconds on a busy machine, while the stream runs on.
          const coordinators = await transactionCoordinators(group);
          await produced(0.3);
          assert.equal(
            coordinators.size,
            consumers.length,
            "each member has its transactional.id registered",
          );
          const { broker, coordinated: count } = busiest(coordinators);
          assert.ok(broker >= 0, "a transaction coordinator");
          coordinated = `${count} of ${coordinators.size}`;
          assert.ok(
            isAlive(producer),
            "the fault comes while values are still produced (pace the producer slower)",
          );
          const supervisor = supervise(consumers, startConsumer, accountFor);
          try {
            const during = reader;
            during.phase("during");
            const seenBefore = during.distinct;
            // The pipeline keeps going on two brokers: the transactions move to another coordinator with the
            // __transaction_state partitions' leaders, and the reader sees new results before the broker is back.
            downFor = await outage.downWhile(broker, fault, () =>
              during.until(seenBefore + PROGRESS_WHILE_DOWN, 240_000),
            );
            seenDuring = reader.distinct - seenBefore;
            reader.phase("after");
            await reader.until(values, 300_000);
          } finally {
            restarts = await supervisor.stop();
          }
        },
      });
      await outage.restored();
      assert.ok(reader !== undefined);
      await reader.until(values, 120_000);
      const arrivals = reader.arrivals;
      await reader.close();
      const inputOrder = await inputOrderOf(input);
      const violations = orderViolations(arrivals, inputOrder);
      const duplicates = reader.duplicatesByPhase();
      assert.equal(
        reader.duplicates,
        0,
        `the read_committed reader saw values twice: ${JSON.stringify(Object.fromEntries(duplicates))}`,
      );
      assert.deepEqual(violations.slice(0, 3), [], `${violations.length} results out of input order`);
      assert.equal(report.duplicates, 0, "exactly-once: no duplicates for read_committed readers");
      return {
        values,
        missing: report.missing,
        duplicates: report.duplicates,
        detail:
          `node ${outage.node ?? "?"} (coordinator of ${coordinated} transactional ids) down ${downFor.toFixed(1)} s, ` +
          `at ${rate.toLocaleString("en-US")} msg/s; reader: ${seenDuring.toLocaleString("en-US")} values while it was down, ` +
          `0 seen twice, 0 out of input order` +
          (restarts.length === 0 ? "" : `; member(s) restarted after they ended on ${restarts.join(", ")}`),
      };
    },
  };
}

/** New results the reader must see while the broker is down: the pipeline goes on without it. */
const PROGRESS_WHILE_DOWN = 1000;

/**
 * Why a member may end (exit 1) when the broker coordinating its transaction goes, for its successor to redo the
 * batch: a transaction the coordinator could not finish in time (KAFKA_TRANSACTION_FAILED: the new coordinator
 * aborted it after transaction.timeout.ms, which fences the producer, or a commit unanswered for
 * COMMIT_DEADLINE_MS), or a result the partition's new leader did not acknowledge within the transaction's
 * delivery deadline (DELIVERY_FAILED: 10 s, while a SIGKILLed broker is fenced and its partitions move).
 */
const RESTARTED_ON = new Set(["KAFKA_TRANSACTION_FAILED", "DELIVERY_FAILED"]);

/**
 * Restarts, as a supervisor would (compose's restart policy, a pod's), a member that ended with exit 1 on a
 * failed transaction (RESTARTED_ON), until stopped; `stop` resolves to the failure codes of the members it
 * restarted, or rejects if a member ended any other way.
 */
function supervise(
  consumers: RunningChild[],
  startConsumer: () => RunningChild,
  accountFor: (consumer: RunningChild) => void,
): { stop: () => Promise<string[]> } {
  const handled = new Set<RunningChild>();
  const codes: string[] = [];
  let stopped = false;
  const watching = (async () => {
    while (!stopped) {
      for (const consumer of [...consumers]) {
        if (isAlive(consumer) || handled.has(consumer)) continue;
        handled.add(consumer);
        const { code } = await consumer.exited;
        const failed = consumer.logs.find((line) => line.event === "service.failed");
        const reason = String(failed?.code);
        assert.ok(
          code === 1 && RESTARTED_ON.has(reason),
          `a batch consumer ended (code ${code}, ${reason}) other than on a failed transaction: ${consumer.stderr()}`,
        );
        codes.push(reason);
        accountFor(consumer);
        startConsumer();
      }
      await sleep(500);
    }
    return codes;
  })();
  // Its failure is the scenario's, thrown by stop(); until then it must not go unhandled.
  watching.catch(() => undefined);
  return {
    stop: () => {
      stopped = true;
      return watching;
    },
  };
}

/**
 * Each input value's partition and offset, read back from the input topic. The order check relies on the range
 * producer writing each value once: a value found twice would make its input position ambiguous.
 */
async function inputOrderOf(topic: string): Promise<Map<bigint, { partition: number; offset: number }>> {
  const order = new Map<bigint, { partition: number; offset: number }>();
  await forEachRecord({ bootstrapServers: BOOTSTRAP, topic }, (message) => {
    const value = deserializeInt(message.value);
    assert.ok(!order.has(value), `input value ${value} written twice`);
    order.set(value, { partition: message.partition, offset: message.offset });
  });
  return order;
}

export const exactlyOnceScenarios = {
  "transaction-coordinator-kill": coordinatorFault("kill"),
  "transaction-coordinator-stop": coordinatorFault("stop"),
} as const satisfies Record<string, Scenario>;
