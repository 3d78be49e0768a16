import type { LatencyResult } from "../parts/latency.ts";
import type { MemoryResult } from "../parts/memory.ts";
import type { ThroughputResult } from "../parts/throughput.ts";
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

/** The targets, each a ratio of two figures measured in the same run. */
export function checkTargets(
  throughput: readonly ThroughputResult[],
  latency: readonly LatencyResult[],
  memory: readonly MemoryResult[],
): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const find = (role: "producer" | "consumer", client: ClientId) =>
    throughput.find(
      (r) => r.role === role && r.client === client && r.valueBytes === FLEET_BYTES && !r.error,
    );

  const atLeast = (target: string, role: "producer" | "consumer", peer: ClientId, bar: number) => {
    const fleet = find(role, "kafka-fleet");
    const other = find(role, peer);
    const ratio = fleet && other ? fleet.messagesPerSecond / other.messagesPerSecond : undefined;
    checks.push({
      target,
      ratio,
      bar: `≥ ${bar}×`,
      met: ratio === undefined ? undefined : ratio >= bar,
      detail:
        fleet && other
          ? `${fmt(fleet.messagesPerSecond)} vs ${fmt(other.messagesPerSecond)} msg/s`
          : "not measured",
    });
  };
  atLeast("producer vs Java ProducerPerformance", "producer", "java", 0.8);
  atLeast("producer vs KafkaJS", "producer", "kafkajs", 3);
  atLeast("producer vs Python (seed)", "producer", "python", 1.5);
  atLeast("batch consumer vs Java ConsumerPerformance", "consumer", "java", 0.7);
  atLeast("batch consumer vs KafkaJS", "consumer", "kafkajs", 3);

  // Not targets: how much of the client binding's own speed the services keep, and what the binding allows.
  const share = (target: string, role: "producer" | "consumer", over: ClientId, under: ClientId) => {
    const top = find(role, over);
    const bottom = find(role, under);
    checks.push({
      target,
      ratio: top && bottom ? top.messagesPerSecond / bottom.messagesPerSecond : undefined,
      bar: "context",
      met: undefined,
      detail:
        top && bottom
          ? `${fmt(top.messagesPerSecond)} vs ${fmt(bottom.messagesPerSecond)} msg/s`
          : "not measured",
    });
  };
  share("producer vs the ckjs binding's bare loop", "producer", "kafka-fleet", "ckjs-bare");
  share("batch consumer vs the ckjs binding's bare loop", "consumer", "kafka-fleet", "ckjs-bare");
  share("ckjs bare producer loop vs Python (same librdkafka)", "producer", "ckjs-bare", "python");
  share("ckjs bare consume(n) loop vs Java ConsumerPerformance", "consumer", "ckjs-bare", "java");

  for (const role of ["producer", "consumer"] as const) {
    const fleet = find(role, "kafka-fleet");
    const java = find(role, "java");
    const ratio = fleet && java ? fleet.cpuSecondsPerMillion / java.cpuSecondsPerMillion : undefined;
    checks.push({
      target: `${role} CPU-s per 1M msgs vs Java`,
      ratio,
      bar: "≤ 1.2×",
      met: ratio === undefined ? undefined : ratio <= 1.2,
      detail:
        fleet && java
          ? `${fleet.cpuSecondsPerMillion.toFixed(2)} vs ${java.cpuSecondsPerMillion.toFixed(2)} CPU-s`
          : "not measured",
    });
  }

  const single = latency.find((r) => r.client === "single-consumer" && r.rate === 1000 && !r.error);
  const java = latency.find((r) => r.client === "java-EndToEndLatency" && !r.error);
  const ratio = single && java ? single.latencyMs.p99 / java.latencyMs.p99 : undefined;
  checks.push({
    target: "single-consumer e2e p99 at 1k msg/s vs EndToEndLatency",
    ratio,
    bar: "≤ 1.5×",
    met: ratio === undefined ? undefined : ratio <= 1.5,
    detail: single && java ? `${single.latencyMs.p99} vs ${java.latencyMs.p99} ms` : "not measured",
  });

  for (const service of memory) {
    checks.push({
      target: `${service.role} RSS growth after warm-up`,
      ratio: undefined,
      bar: "≤ 10 %",
      met: Number.isFinite(service.growthPercent) ? service.growthPercent <= 10 : undefined,
      detail: `${service.warmRssMiB.toFixed(0)} → max ${service.maxRssAfterWarmupMiB.toFixed(0)} MiB (${service.growthPercent.toFixed(1)} %) over ${fmt(service.done)} msgs; JS heap floor ${service.heapFloorGrowthPercent.toFixed(1)} %`,
    });
  }
  return checks;
}

export function fmt(value: number): string {
  return Math.round(value).toLocaleString("en-US");
}
