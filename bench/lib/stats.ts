/** The q-quantile (0..1) of `values` by the nearest-rank method: an observed value, never an interpolation. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1]!;
}

export interface Percentiles {
  readonly count: number;
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
}

export function percentiles(values: readonly number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    p999: quantile(sorted, 0.999),
    max: sorted.at(-1) ?? Number.NaN,
  };
}

/**
 * The upper bound of the histogram bucket that holds the q-quantile, from a Prometheus text page: the best a
 * scrape of `kafka_fleet_end_to_end_latency_seconds` can say, used as a cross-check of the exact figures.
 */
export function histogramQuantileBound(page: string, metric: string, q: number): number | undefined {
  const buckets: Array<{ le: number; count: number }> = [];
  const pattern = new RegExp(`^${metric}_bucket\\{[^}]*le="([^"]+)"[^}]*\\} (\\S+)$`, "gm");
  for (const match of page.matchAll(pattern)) {
    buckets.push({ le: match[1] === "+Inf" ? Infinity : Number(match[1]), count: Number(match[2]) });
  }
  const total = buckets.find((bucket) => bucket.le === Infinity)?.count ?? 0;
  if (total === 0) return undefined;
  return buckets.sort((a, b) => a.le - b.le).find((bucket) => bucket.count >= q * total)?.le;
}

/**
 * Growth of a series that should be flat (RSS after warm-up): the median of its last quarter against the median
 * of its first, in percent. Medians, not the maximum against one sample: a stall that lets a queue fill for a
 * few seconds, or one sample taken mid-collection, moves a single point, and is not a leak; a leak moves the
 * whole last quarter. NaN when there are fewer than 4 points.
 */
export function windowedGrowthPercent(series: readonly number[]): number {
  if (series.length < 4) return Number.NaN;
  const quarter = Math.floor(series.length / 4);
  const median = (window: readonly number[]) =>
    quantile(
      [...window].sort((a, b) => a - b),
      0.5,
    );
  const first = median(series.slice(0, quarter));
  return ((median(series.slice(-quarter)) - first) / first) * 100;
}
