import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { medianLatency, medianRuns, rotate, throughputOrder, type Pair } from "../lib/rounds.ts";
import type { LatencyResult } from "../parts/latency.ts";
import type { ThroughputResult } from "../parts/throughput.ts";

const run = (client: ThroughputResult["client"], rate: number, round: number, error?: string) =>
  ({
    role: "producer",
    client,
    valueBytes: 8,
    messages: 1000,
    windowMessages: 950,
    windowSeconds: 1,
    messagesPerSecond: rate,
    megabytesPerSecond: 0,
    cpuSecondsPerMillion: round,
    processCpuSeconds: 0,
    peakRssMiB: 0,
    exitCode: error === undefined ? 0 : 1,
    round,
    ...(error === undefined ? {} : { error }),
  }) satisfies ThroughputResult;

const latency = (client: LatencyResult["client"], p99: number, round: number, error?: string) =>
  ({
    client,
    rate: 1000,
    messages: 1000,
    latencyMs: { count: 900, p50: 1, p99, p999: p99, max: p99 },
    missing: 0,
    round,
    ...(error === undefined ? {} : { error }),
  }) satisfies LatencyResult;

describe("rotate", () => {
  it("starts each round with the next client and wraps around", () => {
    assert.deepEqual(rotate(["a", "b", "c"], 0), ["a", "b", "c"]);
    assert.deepEqual(rotate(["a", "b", "c"], 1), ["b", "c", "a"]);
    assert.deepEqual(rotate(["a", "b", "c"], 4), ["b", "c", "a"]);
    assert.deepEqual(rotate([], 2), []);
  });
});

describe("throughputOrder", () => {
  // The bench's default list: two rows that only consume among six producers.
  const clients = ["fleet", "fleet-b10", "java", "tool", "kafkajs", "platformatic", "bare", "python"];
  const consumerOnly = new Set(["fleet-b10", "bare"]);
  /** The order of `round`, with `adjacent` pairs to keep back to back when given. */
  const order = (round: number, adjacent?: { producers?: Pair<string>; consumers?: Pair<string> }) =>
    throughputOrder(
      clients,
      round,
      (client) => !consumerOnly.has(client),
      () => true,
      adjacent,
    );

  it("starts each round's producers with the next producer, whatever only consumes", () => {
    assert.deepEqual(
      [1, 2, 3].map((round) => order(round).producers[0]),
      ["fleet", "java", "tool"],
    );
    assert.deepEqual(
      [1, 2, 3].map((round) => order(round).producers.indexOf("fleet")),
      [0, 5, 4],
    );
  });
  it("rotates the consumers by the round among all that consume", () => {
    assert.deepEqual(order(2).consumers, [...clients.slice(1), "fleet"]);
    assert.deepEqual(order(1).producers, ["fleet", "java", "tool", "kafkajs", "platformatic", "python"]);
  });

  const paired = (round: number) =>
    order(round, { producers: ["fleet", "tool"], consumers: ["fleet", "java"] });
  it("runs a compared pair back to back in every round, the two taking turns to go first", () => {
    const rounds = [1, 2, 3, 4, 5, 6];
    const next = (list: string[], client: string) => list[list.indexOf(client) + 1];
    assert.deepEqual(
      rounds.map((round) => {
        const { producers } = paired(round);
        return next(producers, "fleet") === "tool"
          ? "fleet first"
          : next(producers, "tool") === "fleet" && "tool first";
      }),
      ["fleet first", "tool first", "fleet first", "tool first", "fleet first", "tool first"],
    );
    assert.deepEqual(
      rounds.map((round) => {
        const { consumers } = paired(round);
        return next(consumers, "fleet") === "java" || next(consumers, "java") === "fleet";
      }),
      rounds.map(() => true),
    );
  });
  it("moves a pair through the rotation as one client, so that no client is always first", () => {
    assert.deepEqual(paired(1).producers, ["fleet", "tool", "java", "kafkajs", "platformatic", "python"]);
    assert.deepEqual(paired(2).producers, ["java", "kafkajs", "platformatic", "python", "tool", "fleet"]);
    assert.deepEqual(paired(3).producers, ["kafkajs", "platformatic", "python", "fleet", "tool", "java"]);
    assert.deepEqual(paired(1).consumers, [
      "fleet",
      "java",
      "fleet-b10",
      "tool",
      "kafkajs",
      "platformatic",
      "bare",
      "python",
    ]);
  });
  it("rotates as before when one of a pair does not take part", () => {
    const without = throughputOrder(
      clients.filter((client) => client !== "tool"),
      2,
      () => true,
      () => true,
      {
        producers: ["fleet", "tool"],
      },
    );
    assert.deepEqual(without.producers, [...clients.filter((client) => client !== "tool").slice(1), "fleet"]);
  });
});

describe("medianRuns", () => {
  it("reports each client's median round as measured, with every round's rate in round order", () => {
    const runs = [run("java", 900, 1), run("kafka-fleet", 300, 1), run("java", 500, 2), run("java", 700, 3)];
    const [kafkaFleet, java] = medianRuns(runs, ["kafka-fleet", "java"], [8]);
    assert.equal(java?.messagesPerSecond, 700);
    // The CPU figure belongs to the same round as the rate.
    assert.equal(java?.cpuSecondsPerMillion, 3);
    assert.deepEqual(java?.roundsMessagesPerSecond, [900, 500, 700]);
    assert.equal(kafkaFleet?.messagesPerSecond, 300);
  });
  it("counts a failed round as the slowest, so a failure can be the median", () => {
    const runs = [run("python", 800, 1), run("python", 0, 2, "exited 1"), run("python", 0, 3, "exited 1")];
    const [python] = medianRuns(runs, ["python"], [8]);
    assert.equal(python?.error, "exited 1");
    assert.deepEqual(python?.roundsMessagesPerSecond, [800, 0, 0]);
  });
  it("leaves out clients that did not run", () => {
    assert.deepEqual(medianRuns([run("java", 1, 1)], ["java", "kafkajs"], [8, 100]).length, 1);
  });
});

describe("medianLatency", () => {
  it("reports the round with the median p99 per client, with every round's p99", () => {
    const runs = [
      latency("java-EndToEndLatency", 22, 1),
      latency("single-consumer", 253, 1),
      latency("single-consumer", 34, 2),
      latency("java-EndToEndLatency", 7, 2),
      latency("java-EndToEndLatency", 8, 3),
      latency("single-consumer", 14, 3),
    ];
    const [java, single] = medianLatency(runs);
    assert.equal(java?.latencyMs.p99, 8);
    assert.equal(single?.latencyMs.p99, 34);
    assert.equal(single?.round, 2);
    assert.deepEqual(single?.roundsP99Ms, [253, 34, 14]);
  });
  it("counts a failed round as the worst", () => {
    const runs = [latency("single-consumer", 10, 1), latency("single-consumer", 5, 2, "producer exited 1")];
    const [single] = medianLatency(runs);
    assert.equal(single?.latencyMs.p99, 10);
    assert.deepEqual(single?.roundsP99Ms, [10, Number.POSITIVE_INFINITY]);
  });
});
