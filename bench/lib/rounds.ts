import type { ClientId } from "./clients.ts";
import type { LatencyResult } from "../parts/latency.ts";
import type { ThroughputResult } from "../parts/throughput.ts";

// Repeated measurements and how one figure is chosen from them: pure, so it is unit-tested (bench/test).

/** `items` starting at index `by` (mod length), wrapping around. */
export function rotate<T>(items: readonly T[], by: number): T[] {
  if (items.length === 0) return [];
  const start = ((by % items.length) + items.length) % items.length;
  return [...items.slice(start), ...items.slice(0, start)];
}

/**
 * The order of a throughput round: producers and consumers each rotated by the round, apart. Rotated as one
 * list, a client that only consumes took the step and the same producer ran last in every round after the first
 * (kafka-fleet, right after the slowest producer, in the run of 2026-12-07 afternoon).
 */
export function throughputOrder<C>(
  clients: readonly C[],
  round: number,
  produces: (client: C) => boolean,
  consumes: (client: C) => boolean,
): { producers: C[]; consumers: C[] } {
  return {
    producers: rotate(clients.filter(produces), round - 1),
    consumers: rotate(clients.filter(consumes), round - 1),
  };
}

/**
 * One run per (role, client, value size): the median of its rounds by msg/s (a real run, so its CPU and RSS
 * belong to the same measurement), carrying every round's msg/s. A failed round counts as 0 msg/s; if the median
 * itself failed, the failure is what is reported.
 */
export function medianRuns(
  runs: readonly ThroughputResult[],
  clients: readonly ClientId[],
  sizes: readonly number[],
): ThroughputResult[] {
  const medians: ThroughputResult[] = [];
  for (const size of sizes) {
    for (const role of ["producer", "consumer"] as const) {
      for (const client of clients) {
        const rounds = runs.filter((r) => r.role === role && r.client === client && r.valueBytes === size);
        if (rounds.length === 0) continue;
        const speed = (r: ThroughputResult) => (r.error === undefined ? r.messagesPerSecond : 0);
        const sorted = [...rounds].sort((a, b) => speed(a) - speed(b));
        const median = sorted[Math.floor((sorted.length - 1) / 2)]!;
        medians.push({ ...median, roundsMessagesPerSecond: rounds.map(speed) });
      }
    }
  }
  return medians;
}

/**
 * One run per (client, rate): the round with the median p99 (a real run, so its other percentiles belong to the
 * same measurement), carrying every round's p99. A failed round counts as the worst.
 */
export function medianLatency(runs: readonly LatencyResult[]): LatencyResult[] {
  const medians: LatencyResult[] = [];
  const keyOf = (r: LatencyResult) => `${r.client}@${r.rate}@${r.ordering ?? ""}`;
  for (const key of new Set(runs.map(keyOf))) {
    const rounds = runs.filter((r) => keyOf(r) === key);
    const p99 = (r: LatencyResult) =>
      r.error === undefined && Number.isFinite(r.latencyMs.p99) ? r.latencyMs.p99 : Number.POSITIVE_INFINITY;
    const sorted = [...rounds].sort((a, b) => p99(a) - p99(b));
    const median = sorted[Math.floor((sorted.length - 1) / 2)]!;
    medians.push({ ...median, roundsP99Ms: rounds.map(p99) });
  }
  return medians;
}
