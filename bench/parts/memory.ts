import { setTimeout as sleep } from "node:timers/promises";

import { THROUGHPUT_BATCH, startService } from "../lib/clients.ts";
import type { Scratch } from "../lib/kafka.ts";
import { jsonLine, type Measured } from "../lib/process.ts";
import type { Reporter } from "../lib/reporter.ts";
import { windowedGrowthPercent } from "../lib/stats.ts";

type Role = "producer" | "batch-consumer" | "single-consumer";

export interface MemoryResult {
  readonly role: Role;
  readonly messages: number;
  /** The producer's PRODUCE_RATE, msg/s. */
  readonly rate: number;
  /** How far it got (acknowledged or processed) when the run ended. */
  readonly done: number;
  /** RSS once 20 % of the messages were through: the end of warm-up. */
  readonly warmRssMiB: number;
  /** Highest RSS after warm-up. */
  readonly maxRssAfterWarmupMiB: number;
  readonly finalRssMiB: number;
  /**
   * Growth after warm-up of the RSS outside V8's young generation: the median of the run's last quarter against
   * the median of its first quarter (`windowedGrowthPercent`), so a stall that fills a queue for a while is not
   * reported as a leak; bar ≤ 10 %. V8 sizes its young generation (the semi-spaces where objects are born) to the
   * allocation rate and survival, up and down again: in one producer run of 15M values at 50,000 msg/s it went
   * 16 → 32 → 4 → 8 MiB, and RSS with it (120 → 136 → 113 → 129 MiB). Such a step is elastic and bounded (by
   * --max-semi-space-size), not a leak; a leak in JavaScript grows the old generation, one in native code RSS
   * itself, and both still count here.
   */
  readonly growthPercent: number;
  /** The same over RSS itself, young generation included (context). */
  readonly rssGrowthPercent?: number;
  readonly peakRssMiB: number;
  /**
   * The JavaScript heap's floor (lowest heap used, i.e. the live set after a collection) in the last quarter of
   * the run after warm-up against the first quarter: a leak in our code raises the floor; the heap and the
   * allocator growing their reserves (which RSS shows) do not.
   */
  readonly heapFloorGrowthPercent: number;
  /**
   * [seconds since start, RSS MiB, share done, JS heap used MiB, V8's young generation MiB], one point a second,
   * for the chart and the figures above.
   */
  readonly series: Array<[number, number, number, number, number?]>;
}

const WARM_SHARE = 0.2;
const MiB = 2 ** 20;

/**
 * A service's own count of what it has done, its JS heap in use, and the size of V8's young generation (prom-client's
 * heap space metrics), from its /metrics page.
 */
async function scrape(
  port: number,
  role: Role,
): Promise<{ count: number; heapUsedBytes: number; youngGenerationBytes: number }> {
  const page = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const sum = (metric: string) => {
    let total = 0;
    for (const match of page.matchAll(new RegExp(`^${metric}(?:\\{[^}]*\\})? (\\S+)$`, "gm")))
      total += Number(match[1]);
    return total;
  };
  return {
    count: sum(
      role === "producer" ? "kafka_fleet_messages_produced_total" : "kafka_fleet_messages_processed_total",
    ),
    heapUsedBytes: sum("nodejs_heap_size_used_bytes"),
    youngGenerationBytes: Number(
      /^nodejs_heap_space_size_total_bytes\{[^}]*space="new"[^}]*\} (\S+)$/m.exec(page)?.[1] ?? Number.NaN,
    ),
  };
}

/**
 * The three services side by side over one long stream: the producer writes `messages` values at `rate` per
 * second while the batch consumer (BATCH_SIZE 500) and the single consumer (defaults) read them, each in its own
 * group. RSS of each is sampled from /proc every second; growth is measured after warm-up. The rate is one both
 * consumers sustain: a consumer that lags fills librdkafka's pre-fetch queue (up to 64 MiB by default), which
 * is growth by design and would hide a leak or fake one.
 */
export async function measureMemory(
  messages: number,
  rate: number,
  scratch: Scratch,
  reporter: Reporter,
): Promise<MemoryResult[]> {
  const topic = await scratch.topic("memory");
  await scratch.dlqFor(topic);
  const started = Date.now();
  const services: Array<{ role: Role; measured: Measured; port: Promise<number> }> = [];
  const add = (role: Role, env: Record<string, string>) => {
    const measured = startService(role, { KAFKA_TOPIC: topic, ...env });
    const port = measured.waitForLine((line) => {
      const event = jsonLine(line);
      return event?.event === "service.started" ? Number(event.metricsPort) : undefined;
    }, 60_000);
    services.push({ role, measured, port });
  };
  add("batch-consumer", { CONSUMER_GROUP: scratch.group("mem-batch"), BATCH_SIZE: String(THROUGHPUT_BATCH) });
  add("single-consumer", { CONSUMER_GROUP: scratch.group("mem-single") });
  add("producer", {
    PRODUCE_FROM: "0",
    PRODUCE_TO: String(messages),
    PRODUCE_RATE: String(rate),
    PROGRESS_INTERVAL_MS: "3600000",
  });

  const points = new Map<Role, Array<[number, number, number, number, number]>>(
    services.map(({ role }) => [role, []]),
  );
  const counts = new Map<Role, number>();
  // Generous: two cores shared by three services and three brokers.
  const deadline = Date.now() + 60_000 + (messages / rate) * 1500;
  try {
    while (Date.now() < deadline) {
      for (const { role, measured, port } of services) {
        // The producer exits once its range is acknowledged (exit 0 means all of it): nothing left to sample.
        if (measured.child.exitCode !== null) {
          if (role === "producer" && measured.child.exitCode === 0) counts.set(role, messages);
          continue;
        }
        const sample = measured.mark();
        const scraped = await scrape(await port, role).catch(() => undefined);
        const count = scraped?.count ?? counts.get(role) ?? 0;
        counts.set(role, count);
        points
          .get(role)!
          .push([
            (sample.at - started) / 1000,
            sample.rssBytes / MiB,
            count / messages,
            (scraped?.heapUsedBytes ?? Number.NaN) / MiB,
            (scraped?.youngGenerationBytes ?? Number.NaN) / MiB,
          ]);
      }
      const slowest = Math.min(...counts.values());
      reporter.progress(`memory: slowest service`, slowest, messages);
      if (slowest >= messages) break;
      await sleep(1000);
    }
  } finally {
    for (const { measured } of services) await measured.stop();
  }

  return services.map(({ role, measured }) => {
    const series = points.get(role)!;
    const warmIndex = series.findIndex(([, , share]) => share >= WARM_SHARE);
    const afterWarmup = warmIndex < 0 ? [] : series.slice(warmIndex);
    const warm = afterWarmup[0]?.[1] ?? Number.NaN;
    const maxAfter = afterWarmup.length === 0 ? Number.NaN : Math.max(...afterWarmup.map(([, rss]) => rss));
    const quarter = Math.max(1, Math.floor(afterWarmup.length / 4));
    const floor = (window: typeof afterWarmup) =>
      Math.min(...window.map(([, , , heap]) => heap).filter((heap) => Number.isFinite(heap)));
    const firstFloor = floor(afterWarmup.slice(0, quarter));
    const lastFloor = floor(afterWarmup.slice(-quarter));
    return {
      role,
      messages,
      rate,
      done: counts.get(role) ?? 0,
      warmRssMiB: warm,
      maxRssAfterWarmupMiB: maxAfter,
      finalRssMiB: series.at(-1)?.[1] ?? Number.NaN,
      growthPercent: windowedGrowthPercent(
        afterWarmup.map(([, rss, , , young]) => rss - (Number.isFinite(young) ? young : 0)),
      ),
      rssGrowthPercent: windowedGrowthPercent(afterWarmup.map(([, rss]) => rss)),
      heapFloorGrowthPercent: ((lastFloor - firstFloor) / firstFloor) * 100,
      peakRssMiB: Math.max(0, ...measured.samples.map((sample) => sample.peakRssBytes)) / MiB,
      series: series.map(([at, rss, share, heap, young]) => [
        Math.round(at * 10) / 10,
        Math.round(rss * 10) / 10,
        Math.round(share * 1000) / 1000,
        Math.round(heap * 10) / 10,
        Math.round(young * 10) / 10,
      ]),
    };
  });
}
