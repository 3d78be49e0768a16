import type { LogLine } from "../../harness/child.ts";
import { renderWatched } from "../watch/view.ts";
import { Watcher } from "../watch/watcher.ts";

/** A log field as text: log lines are JSON, so a field may be anything. */
function text(value: unknown): string {
  return typeof value === "string" || typeof value === "number" || typeof value === "boolean"
    ? String(value)
    : (JSON.stringify(value) ?? "?");
}

const BOLD = process.stdout.isTTY ? "\x1b[1m" : "";
const DIM = process.stdout.isTTY ? "\x1b[2m" : "";
const RESET = process.stdout.isTTY ? "\x1b[0m" : "";

export function heading(text: string): void {
  process.stdout.write(`\n${BOLD}${text}${RESET}\n`);
}

export function say(...lines: string[]): void {
  for (const line of lines) process.stdout.write(`${line}\n`);
}

/** "t[0],t[1],u[3]" as "t[0,1] u[3]": the services log one entry per partition, too long for a live line. */
export function compactPartitions(listed: string): string {
  const byTopic = new Map<string, string[]>();
  for (const entry of listed.split(",").filter(Boolean)) {
    const match = /^(.*)\[(\d+)\]$/.exec(entry);
    const [topic, partition] = match ? [match[1]!, match[2]!] : [entry, ""];
    byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition]);
  }
  return (
    [...byTopic].map(([topic, partitions]) => `${topic}[${partitions.join(",")}]`).join(" ") || "nothing"
  );
}

/** What a lab's processes do, one short line per event that teaches something; the rest stays in their logs. */
export function liveLine(line: LogLine, now = Date.now()): string | undefined {
  const who = `${text(line.service ?? "?")}#${text(line.pid ?? "?")}`;
  const at = new Date(now).toLocaleTimeString("en-GB");
  const say = (what: string) => `${DIM}${at}${RESET} ${who.padEnd(22)} ${what}`;
  switch (line.event) {
    case "rebalance.assigned":
      return say(
        `assigned ${compactPartitions(text(line.partitions))}: owns ${text(line.owned)} partition(s)`,
      );
    case "rebalance.revoked":
      return say(
        `revoked ${compactPartitions(text(line.partitions))}${line.lost === true ? " (LOST)" : ""}: owns ${text(line.owned)}`,
      );
    case "producer.finished":
      return say(`producer finished: ${text(line.acknowledged)} acknowledged, ${text(line.failed)} failed`);
    case "record.dead_lettered":
      return say(
        `dead letter: partition ${text(line.partition)} offset ${text(line.offset)} (${text(line.code)})`,
      );
    case "shutdown.requested":
      return say(`${text(line.signal)}: stopping gracefully`);
    case "service.stopped":
      return say(`stopped, exit ${text(line.exitCode)}`);
    case "service.failed":
      return say(`FAILED: ${text(line.message)}`);
    case "batch.commit_deferred":
      return say(`commit refused (${text(line.message)}), kept for the next commit`);
    default:
      return undefined;
  }
}

/** Prints liveLine()s, and a line a second per process for the steady stream of committed batches. */
export function liveObserver(): (line: LogLine) => void {
  const committed = new Map<string, { batches: number; records: number; at: number }>();
  return (line) => {
    const shown = liveLine(line);
    if (shown !== undefined) return void process.stdout.write(`${shown}\n`);
    if (line.event !== "batch.committed" && line.event !== "producer.progress") return;
    const who = `${text(line.service)}#${text(line.pid)}`;
    const seen = committed.get(who) ?? { batches: 0, records: 0, at: 0 };
    seen.batches += line.event === "batch.committed" ? 1 : 0;
    seen.records += line.event === "batch.committed" ? Number(line.size ?? 0) : 0;
    committed.set(who, seen);
    const now = Date.now();
    if (now - seen.at < 2000) return;
    seen.at = now;
    const at = new Date(now).toLocaleTimeString("en-GB");
    const what =
      line.event === "producer.progress"
        ? `produced: ${text(line.acknowledged)} acknowledged of ${text(line.total ?? "∞")}`
        : `committed ${seen.batches} batch(es), ${seen.records} records so far`;
    process.stdout.write(`${DIM}${at}${RESET} ${who.padEnd(22)} ${what}\n`);
  };
}

/** How often a lab draws the make-watch view of its processes between their event lines. */
const WATCH_EVERY_MS = 2_000;

/**
 * A lab's live output: its processes' events as they happen (liveObserver), and every few seconds the make-watch
 * view of every process that is up, found from the metrics port each one logs when it starts.
 */
export function liveView(): { observe: (line: LogLine) => void; stop: () => void } {
  const events = liveObserver();
  const watcher = new Watcher();
  const targetOf = (line: LogLine) => `${text(line.service)}#${text(line.pid)}`;
  const ports = new Map<string, string>();
  let drawing = false;
  const draw = () => {
    if (drawing || ports.size === 0) return;
    drawing = true;
    void watcher
      .scrapeAll()
      .then(() => {
        const lines = watcher
          .watched()
          .filter((watched) => watched.current !== undefined)
          .flatMap((watched) => renderWatched(watched, Date.now()));
        if (lines.length > 0) process.stdout.write(`${DIM}── watch ──${RESET}\n${lines.join("\n")}\n`);
      })
      .finally(() => (drawing = false));
  };
  const timer = setInterval(draw, WATCH_EVERY_MS);
  return {
    observe: (line) => {
      if (line.event === "service.started" && typeof line.metricsPort === "number") {
        const target = `http://127.0.0.1:${line.metricsPort}`;
        ports.set(targetOf(line), target);
        watcher.add(target);
      } else if (line.event === "shutdown.requested") {
        // A last look while the process still serves /metrics: a short lab may end between two frames.
        draw();
      } else if (line.event === "service.stopped") {
        const target = ports.get(targetOf(line));
        if (target !== undefined) watcher.remove(target);
        ports.delete(targetOf(line));
      }
      events(line);
    },
    stop: () => clearInterval(timer),
  };
}
