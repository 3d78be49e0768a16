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

/** Two clients a bar compares: they run back to back. */
export type Pair<C> = readonly [C, C];

/**
 * The order of a throughput round: producers and consumers each rotated by the round, apart. Rotated as one
 * list, a client that only consumes took the step and the same producer ran last in every round after the first
 * (kafka-fleet, right after the slowest producer, in the run of 2026-12-07 afternoon).
 *
 * A pair a bar compares runs back to back, moving through the rotation as one client, its two taking turns to go
 * first (as listed in odd rounds, reversed in even ones). Apart, each always followed the same client: in four full
 * runs of 2026-12-07 the producer service's slowest rounds were the ones it ran first after the latency part or
 * right after Python's producer, while rdkafka_performance always followed Java's producer or the consumers.
 */
export function throughputOrder<C>(
  clients: readonly C[],
  round: number,
  produces: (client: C) => boolean,
  consumes: (client: C) => boolean,
  adjacent: { readonly producers?: Pair<C>; readonly consumers?: Pair<C> } = {},
): { producers: C[]; consumers: C[] } {
  return {
    producers: rotatePaired(clients.filter(produces), round, adjacent.producers),
    consumers: rotatePaired(clients.filter(consumes), round, adjacent.consumers),
  };
}

/** `items` rotated by the round, `pair` (when both are among them) one item where its first one stands. */
function rotatePaired<C>(items: readonly C[], round: number, pair: Pair<C> | undefined): C[] {
  if (pair === undefined || !items.includes(pair[0]) || !items.includes(pair[1])) {
    return rotate(items, round - 1);
  }
  const inTurn = round % 2 === 1 ? [...pair] : [pair[1], pair[0]];
  const units: C[][] = [];
  for (const item of items) {
    if (item === pair[0]) units.push(inTurn);
    else if (item !== pair[1]) units.push([item]);
  }
  return rotate(units, round - 1).flat();
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
