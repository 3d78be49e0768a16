import type { LatencyResult } from "../parts/latency.ts";
import type { MemoryResult } from "../parts/memory.ts";
import type { ScaleOutResult, ThroughputResult } from "../parts/throughput.ts";
import type { ClientId } from "../lib/clients.ts";

export interface TargetCheck {
  readonly target: string;
  /** kafka-fleet's figure / the peer's, or the plain figure for memory growth. */
  readonly ratio: number | undefined;
  readonly bar: string;
  readonly met: boolean | undefined;
  readonly detail: string;
}

const FLEET_BYTES = 8; // the services move int64 values only

/** The BATCH_SIZE the consumer targets are stated at (kafka-fleet's row and the Python seed's num_messages). */
export const TARGET_BATCH_SIZE = 500;

/**
 * The targets, each a ratio of two figures measured in the same run. The consumer targets hold at
 * BATCH_SIZE 500 only: a run at another `--batch-size` reports them unjudged.
 */
export function checkTargets(
  throughput: readonly ThroughputResult[],
  latency: readonly LatencyResult[],
  memory: readonly MemoryResult[],
  scaleOut: readonly ScaleOutResult[] = [],
  batchSize: number = TARGET_BATCH_SIZE,
): TargetCheck[] {
  const checks: TargetCheck[] = [];
  // A run whose window was empty (it measured nothing) counts as not measured, not as a zero to divide by.
  const find = (role: "producer" | "consumer", client: ClientId) =>
    throughput.find(
      (r) =>
        r.role === role &&
        r.client === client &&
        r.valueBytes === FLEET_BYTES &&
        !r.error &&
        r.messagesPerSecond > 0,
    );
  const offBatch = (role: "producer" | "consumer") => role === "consumer" && batchSize !== TARGET_BATCH_SIZE;

  /** kafka-fleet's msg/s over the peer's, at least `bar` (or, without a bar, context). */
  const rate = (target: string, role: "producer" | "consumer", peer: ClientId, bar?: number) => {
    const fleet = find(role, "kafka-fleet");
    const other = find(role, peer);
    const ratio = fleet && other ? fleet.messagesPerSecond / other.messagesPerSecond : undefined;
    const judged = bar !== undefined && ratio !== undefined && !offBatch(role);
    checks.push({
      target,
      ratio,
      bar: bar === undefined ? "context" : `≥ ${bar}×`,
      met: judged ? ratio >= bar : undefined,
      detail:
        (fleet && other
          ? `${fmt(fleet.messagesPerSecond)} vs ${fmt(other.messagesPerSecond)} msg/s`
          : "not measured") + (bar !== undefined && offBatch(role) ? `, at BATCH_SIZE ${batchSize}` : ""),
    });
  };
  /** kafka-fleet's CPU-s per 1M messages over the peer's, at most `bar`. */
  const cpu = (target: string, role: "producer" | "consumer", peer: ClientId, bar: number) => {
    const fleet = find(role, "kafka-fleet");
    const other = find(role, peer);
    // A window too short for the kernel's 10 ms CPU ticks reads 0 CPU-s: no ratio to take.
    const ratio =
      fleet && other && other.cpuSecondsPerMillion > 0
        ? fleet.cpuSecondsPerMillion / other.cpuSecondsPerMillion
        : undefined;
    checks.push({
      target,
      ratio,
      bar: `≤ ${bar}×`,
      met: ratio === undefined || offBatch(role) ? undefined : ratio <= bar,
      detail:
        (fleet && other
          ? `${fleet.cpuSecondsPerMillion.toFixed(2)} vs ${other.cpuSecondsPerMillion.toFixed(2)} CPU-s`
          : "not measured") + (offBatch(role) ? `, at BATCH_SIZE ${batchSize}` : ""),
    });
  };
  const batch = `batch consumer (BATCH_SIZE ${TARGET_BATCH_SIZE})`;
  rate("producer vs Java ProducerPerformance", "producer", "java", 0.9);
  rate(
    "producer vs rdkafka_performance -P (idempotent, acks=all, linger 5 ms)",
    "producer",
    "rdkafka-performance",
    0.9,
  );
  rate("producer vs Python confluent-kafka (idempotent)", "producer", "python", 1.0);
  rate(`${batch} vs KafkaJS eachBatch`, "consumer", "kafkajs", 1.0);
  rate(`${batch} vs rdkafka_performance -G`, "consumer", "rdkafka-performance", 0.5);
  rate(`${batch} vs Python (seed)`, "consumer", "python", 1.2);
  rate(`${batch} vs Java ConsumerPerformance`, "consumer", "java", 0.25);
  cpu("producer CPU-s per 1M msgs vs Java", "producer", "java", 1.3);
  cpu(`${batch} CPU-s per 1M msgs vs Java`, "consumer", "java", 1.0);

  // The defaults: one batch consumer at BATCH_SIZE 10, publishing its results, must move 3,000 msg/s.
  const defaults = find("consumer", "kafka-fleet-b10");
  checks.push({
    target: "batch consumer at its defaults (BATCH_SIZE 10, results on)",
    ratio: undefined,
    bar: "≥ 3,000 msg/s",
    met: defaults === undefined ? undefined : defaults.messagesPerSecond >= 3000,
    detail: defaults ? `${fmt(defaults.messagesPerSecond)} msg/s` : "not measured",
  });

  // Not targets: the pure-JavaScript client Node.js users pick for speed, KafkaJS's producer, and how much of the
  // client binding's own speed the services keep.
  rate("producer vs @platformatic/kafka (idempotent)", "producer", "platformatic");
  rate("batch consumer vs @platformatic/kafka", "consumer", "platformatic");
  rate("producer vs KafkaJS", "producer", "kafkajs");
  rate("batch consumer vs the ckjs plain consume(n) loop (no commits)", "consumer", "ckjs-bare");
  const one = scaleOut.find((r) => r.processes === 1 && !r.error);
  const three = scaleOut.find((r) => r.processes === 3 && !r.error);
  checks.push({
    target: "3 batch consumers vs 1, total msg/s (6 partitions)",
    ratio: one && three ? three.messagesPerSecond / one.messagesPerSecond : undefined,
    bar: "context",
    met: undefined,
    detail:
      one && three
        ? `${fmt(three.messagesPerSecond)} vs ${fmt(one.messagesPerSecond)} msg/s`
        : "not measured",
  });

  // The single consumer at its defaults (ORDERING=key; the fleet's keyless values run concurrently) against
  // Kafka's own Java client carrying the same paced stream in the same rounds (bench/clients/
  // JavaPacedLatency.java): a peer at the same rate, unlike EndToEndLatency's one record at a time, which stays as
  // context. Both are the median round by p99.
  const single = latency.find(
    (r) => r.client === "single-consumer" && r.rate === 1000 && r.ordering === "key" && !r.error,
  );
  const java = latency.find((r) => r.client === "java-EndToEndLatency" && !r.error);
  const javaPaced = latency.find((r) => r.client === "java-paced" && !r.error);
  const ratio = single && javaPaced ? single.latencyMs.p99 / javaPaced.latencyMs.p99 : undefined;
  checks.push({
    target: "single-consumer e2e p99 at 1k msg/s vs Kafka's Java client at the same rate",
    ratio,
    bar: "≤ 1.25×",
    met: ratio === undefined ? undefined : ratio <= 1.25,
    detail: single && javaPaced ? `${single.latencyMs.p99} vs ${javaPaced.latencyMs.p99} ms` : "not measured",
  });

  // Defaults that keep up: each consumer at its defaults (the batch consumer at BATCH_SIZE=10, results on) under
  // a 10,000 msg/s stream. Keeping up means every value got its result and the lag stayed bounded: p99 within
  // KEEPS_UP_P99_MS, where a consumer that falls behind grows its latency with the length of the run.
  for (const role of ["single-consumer", "batch-consumer"] as const) {
    const row = latency.find((r) => r.client === role && r.rate === 10_000 && !r.error);
    checks.push({
      target: `${role} at its defaults keeps up with 10k msg/s (e2e p99)`,
      ratio: undefined,
      bar: `p99 ≤ ${fmt(KEEPS_UP_P99_MS)} ms, 0 without result`,
      met: row === undefined ? undefined : row.missing === 0 && row.latencyMs.p99 <= KEEPS_UP_P99_MS,
      detail: row ? `p99 ${fmt(row.latencyMs.p99)} ms, ${fmt(row.missing)} without result` : "not measured",
    });
  }

  // Not targets. The single consumer over the client alone doing its work at the same rate in the same rounds
  // (bench/clients/ckjs-relay.ts): the service's own share of its latency; and against Kafka's ping-pong tool.
  const relay = latency.find((r) => r.client === "ckjs-relay" && !r.error);
  checks.push(
    p99Context(
      "single-consumer e2e p99 at 1k msg/s vs the client alone relaying at the same rate",
      single,
      relay,
    ),
    p99Context("single-consumer e2e p99 at 1k msg/s vs EndToEndLatency (one at a time)", single, java),
    p99Context("Kafka's Java client e2e p99 at 1k msg/s vs EndToEndLatency", javaPaced, java),
  );

  for (const service of memory) {
    checks.push({
      target: `${service.role} RSS growth after warm-up (windowed median, V8's young generation aside)`,
      ratio: undefined,
      bar: "≤ 10 %",
      met: Number.isFinite(service.growthPercent) ? service.growthPercent <= 10 : undefined,
      detail:
        `median RSS outside V8's young generation of the last quarter ${service.growthPercent.toFixed(1)} % over the first` +
        (service.rssGrowthPercent === undefined
          ? ""
          : `, RSS itself ${service.rssGrowthPercent.toFixed(1)} %`) +
        ` (warm-up ${service.warmRssMiB.toFixed(0)} MiB, max ${service.maxRssAfterWarmupMiB.toFixed(0)} MiB) over ${fmt(service.done)} msgs; JS heap floor ${service.heapFloorGrowthPercent.toFixed(1)} %`,
    });
  }
  return checks;
}

/** A row without a bar: `of`'s p99 over `over`'s. */
function p99Context(target: string, of?: LatencyResult, over?: LatencyResult): TargetCheck {
  return {
    target,
    ratio: of && over ? of.latencyMs.p99 / over.latencyMs.p99 : undefined,
    bar: "context",
    met: undefined,
    detail: of && over ? `${of.latencyMs.p99} vs ${over.latencyMs.p99} ms` : "not measured",
  };
}

/** A consumer keeping up with 10k msg/s: a second's worth of records behind at the 99th percentile. */
const KEEPS_UP_P99_MS = 1_000;

export function fmt(value: number): string {
  return Math.round(value).toLocaleString("en-US");
}
