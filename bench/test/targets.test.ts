import assert from "node:assert/strict";
import { describe, it } from "node:test";

import type { ClientId } from "../lib/clients.ts";
import type { ThroughputResult } from "../parts/throughput.ts";
import { checkTargets, type TargetCheck } from "../report/targets.ts";

const row = (
  role: ThroughputResult["role"],
  client: ClientId,
  messagesPerSecond: number,
  cpuSecondsPerMillion = 1,
  error?: string,
): ThroughputResult => ({
  role,
  client,
  valueBytes: 8,
  messages: 1000,
  windowMessages: 950,
  windowSeconds: 1,
  messagesPerSecond,
  megabytesPerSecond: 0,
  cpuSecondsPerMillion,
  processCpuSeconds: 0,
  peakRssMiB: 0,
  exitCode: 0,
  ...(error === undefined ? {} : { error }),
});

const named = (checks: readonly TargetCheck[], start: string): TargetCheck => {
  const check = checks.find((c) => c.target.startsWith(start));
  assert.ok(check, `no target starting with ${start}`);
  return check;
};

describe("checkTargets", () => {
  const fleet = [row("producer", "kafka-fleet", 90_000, 4), row("consumer", "kafka-fleet", 200_000, 2)];

  it("judges the batch consumer against KafkaJS eachBatch at 1.0× and rdkafka_performance -G at 0.5×", () => {
    const checks = checkTargets(
      [...fleet, row("consumer", "kafkajs", 199_999), row("consumer", "rdkafka-performance", 400_001)],
      [],
      [],
    );
    assert.equal(named(checks, "batch consumer (BATCH_SIZE 500) vs KafkaJS").met, true);
    const rdkafka = named(checks, "batch consumer (BATCH_SIZE 500) vs rdkafka_performance -G");
    assert.equal(rdkafka.met, false);
    assert.equal(rdkafka.bar, "≥ 0.5×");
  });

  it("judges the producer against rdkafka_performance -P at 0.9×", () => {
    const met = checkTargets([...fleet, row("producer", "rdkafka-performance", 100_000)], [], []);
    assert.equal(named(met, "producer vs rdkafka_performance -P").met, true);
    const missed = checkTargets([...fleet, row("producer", "rdkafka-performance", 100_001)], [], []);
    assert.equal(named(missed, "producer vs rdkafka_performance -P").met, false);
  });

  it("holds the consumer's CPU per message to Java's at most", () => {
    const even = checkTargets([...fleet, row("consumer", "java", 400_000, 2)], [], []);
    assert.equal(named(even, "batch consumer (BATCH_SIZE 500) CPU-s").met, true);
    const over = checkTargets([...fleet, row("consumer", "java", 400_000, 1.99)], [], []);
    assert.equal(named(over, "batch consumer (BATCH_SIZE 500) CPU-s").met, false);
  });

  it("takes no CPU ratio over a peer whose window read 0 CPU-s", () => {
    const checks = checkTargets([...fleet, row("consumer", "java", 400_000, 0)], [], []);
    const check = named(checks, "batch consumer (BATCH_SIZE 500) CPU-s");
    assert.equal(check.ratio, undefined);
    assert.equal(check.met, undefined);
  });

  it("shows @platformatic/kafka as context, never judged", () => {
    const checks = checkTargets(
      [...fleet, row("producer", "platformatic", 45_000), row("consumer", "platformatic", 100_000)],
      [],
      [],
    );
    for (const check of checks.filter((c) => c.target.includes("@platformatic/kafka"))) {
      assert.equal(check.bar, "context");
      assert.equal(check.met, undefined);
      assert.equal(check.ratio, 2);
    }
  });

  it("leaves the consumer targets unjudged at another BATCH_SIZE, the producer's judged", () => {
    const checks = checkTargets(
      [...fleet, row("consumer", "kafkajs", 100_000), row("producer", "java", 10_000)],
      [],
      [],
      [],
      100,
    );
    const kafkajs = named(checks, "batch consumer (BATCH_SIZE 500) vs KafkaJS");
    assert.equal(kafkajs.met, undefined);
    assert.match(kafkajs.detail, /at BATCH_SIZE 100/);
    assert.equal(named(checks, "producer vs Java ProducerPerformance").met, true);
  });

  it("counts a failed or empty run as not measured", () => {
    const checks = checkTargets(
      [...fleet, row("consumer", "rdkafka-performance", 0), row("consumer", "kafkajs", 1, 1, "exited")],
      [],
      [],
    );
    for (const start of [
      "batch consumer (BATCH_SIZE 500) vs rdkafka",
      "batch consumer (BATCH_SIZE 500) vs KafkaJS",
    ]) {
      const check = named(checks, start);
      assert.equal(check.ratio, undefined);
      assert.equal(check.met, undefined);
      assert.equal(check.detail, "not measured");
    }
  });
});
