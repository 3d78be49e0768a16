import type { MemoryResult } from "../parts/memory.ts";
import type { ThroughputResult } from "../parts/throughput.ts";
import { clientLabel } from "../lib/clients.ts";

const COLORS: Record<string, string> = {
  "kafka-fleet": "#d9480f",
  java: "#1c7ed6",
  kafkajs: "#868e96",
  "rdkafka-performance": "#0b7285",
  platformatic: "#ae3ec9",
  "ckjs-bare": "#f59f00",
  python: "#2f9e44",
};

const escape = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;");

/**
 * Horizontal bars of msg/s, one panel per (role, value size), each client in its own colour. Plain SVG written
 * here: four panels of bars need no charting library.
 */
export function throughputChart(results: readonly ThroughputResult[]): string {
  const panels = [
    ["producer", 8],
    ["consumer", 8],
    ["producer", 100],
    ["consumer", 100],
  ] as const;
  const width = 900;
  const barHeight = 22;
  const labelWidth = 230;
  const plotWidth = width - labelWidth - 120;
  let y = 40;
  const parts: string[] = [];
  for (const [role, size] of panels) {
    const rows = results.filter((r) => r.role === role && r.valueBytes === size && !r.error);
    if (rows.length === 0) continue;
    const top = Math.max(...rows.map((r) => r.messagesPerSecond));
    parts.push(
      `<text x="10" y="${y}" font-weight="bold">${role === "producer" ? "Producers" : "Consumers"}, ${size}-byte values (msg/s)</text>`,
    );
    y += 12;
    for (const row of rows) {
      const length = Math.max(1, (row.messagesPerSecond / top) * plotWidth);
      parts.push(
        `<text x="${labelWidth - 8}" y="${y + 16}" text-anchor="end">${escape(clientLabel(row.client))}</text>`,
        `<rect x="${labelWidth}" y="${y + 2}" width="${length.toFixed(1)}" height="${barHeight - 4}" fill="${COLORS[row.client] ?? "#333"}"/>`,
        `<text x="${(labelWidth + length + 6).toFixed(1)}" y="${y + 16}">${row.messagesPerSecond.toLocaleString("en-US")}</text>`,
      );
      y += barHeight;
    }
    y += 30;
  }
  return svg(width, y, "Throughput on the local 3-broker cluster, same run", parts);
}

/** RSS over time of each service in the long run, with the end of warm-up marked. */
export function memoryChart(memory: readonly MemoryResult[]): string {
  const width = 900;
  const height = 360;
  const left = 70;
  const bottom = height - 50;
  const plotWidth = width - left - 180;
  const plotHeight = bottom - 50;
  const points = memory.flatMap((m) => m.series);
  const maxT = Math.max(1, ...points.map(([t]) => t));
  const maxRss = Math.max(1, ...points.map(([, rss]) => rss)) * 1.1;
  const x = (t: number) => left + (t / maxT) * plotWidth;
  const yOf = (rss: number) => bottom - (rss / maxRss) * plotHeight;
  const colors = ["#d9480f", "#1c7ed6", "#2f9e44"];
  const parts: string[] = [
    `<line x1="${left}" y1="${bottom}" x2="${left + plotWidth}" y2="${bottom}" stroke="#333"/>`,
    `<line x1="${left}" y1="${bottom}" x2="${left}" y2="50" stroke="#333"/>`,
    `<text x="${left + plotWidth / 2}" y="${height - 15}" text-anchor="middle">seconds</text>`,
    `<text x="15" y="45">RSS MiB</text>`,
  ];
  for (let tick = 0; tick <= 4; tick += 1) {
    const rss = (maxRss * tick) / 4;
    parts.push(`<text x="${left - 6}" y="${yOf(rss) + 4}" text-anchor="end">${rss.toFixed(0)}</text>`);
    const t = (maxT * tick) / 4;
    parts.push(`<text x="${x(t)}" y="${bottom + 18}" text-anchor="middle">${t.toFixed(0)}</text>`);
  }
  memory.forEach((service, index) => {
    const color = colors[index % colors.length]!;
    const path = service.series.map(([t, rss]) => `${x(t).toFixed(1)},${yOf(rss).toFixed(1)}`).join(" ");
    parts.push(`<polyline points="${path}" fill="none" stroke="${color}" stroke-width="2"/>`);
    parts.push(
      `<text x="${left + plotWidth + 10}" y="${70 + index * 22}" fill="${color}">${service.role} (${service.growthPercent.toFixed(1)} %)</text>`,
    );
  });
  return svg(
    width,
    height,
    `RSS of the services over ${memory[0]?.messages.toLocaleString("en-US") ?? 0} messages`,
    parts,
  );
}

function svg(width: number, height: number, title: string, parts: readonly string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="13">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="20" font-size="15" font-weight="bold">${escape(title)}</text>`,
    ...parts,
    "</svg>",
    "",
  ].join("\n");
}
