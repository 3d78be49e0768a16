import type { Snapshot } from "./snapshot.ts";

/** One watched process: where it is, its latest snapshot, the one before, and when its group last rebalanced. */
export interface Watched {
  readonly target: string;
  readonly current: Snapshot | undefined;
  readonly previous: Snapshot | undefined;
  readonly lastRebalanceAt: number | undefined;
  readonly error: string | undefined;
}

export const WIDTH = 80;

const count = (value: number) => Math.round(value).toLocaleString("en-US");

function perSecond(current: number, previous: number | undefined, seconds: number): string {
  if (previous === undefined || seconds <= 0) return "-";
  return `${count(Math.max(0, current - previous) / seconds)} msg/s`;
}

function ago(at: number | undefined, now: number): string {
  if (at === undefined) return "never";
  const seconds = Math.max(0, Math.round((now - at) / 1000));
  return seconds < 120 ? `${seconds}s ago` : `${Math.round(seconds / 60)}m ago`;
}

const fit = (line: string) => (line.length > WIDTH ? `${line.slice(0, WIDTH - 1)}…` : line);

/** The lines of one process's block, each at most WIDTH characters: pure, so it is tested on fixed snapshots. */
export function renderWatched(watched: Watched, now: number): string[] {
  const { current, previous } = watched;
  if (current === undefined) return [fit(`${watched.target.padEnd(22)} ${watched.error ?? "waiting"}`)];
  const seconds = previous === undefined ? 0 : (current.at - previous.at) / 1000;
  const head = `${current.service.padEnd(16)}${watched.target.replace(/^https?:\/\//, "").padEnd(16)}`;
  const lines: string[] = [];
  if (current.service === "producer") {
    lines.push(
      `${head}${perSecond(current.produced, previous?.produced, seconds)}  total ${count(current.produced)}` +
        `  failed ${count(current.deliveryFailures)}`,
    );
  } else {
    const batches = current.batches - (previous?.batches ?? current.batches);
    const batchSize =
      batches > 0 ? (current.batchRecords - (previous?.batchRecords ?? 0)) / batches : undefined;
    const timed = current.batchSecondsCount - (previous?.batchSecondsCount ?? current.batchSecondsCount);
    const batchMs =
      timed > 0 ? ((current.batchSeconds - (previous?.batchSeconds ?? 0)) / timed) * 1000 : undefined;
    lines.push(
      `${head}${perSecond(current.processed, previous?.processed, seconds)}  total ${count(current.processed)}` +
        (batchSize === undefined
          ? ""
          : `  batch ${batchSize.toFixed(0)} in ${batchMs?.toFixed(0) ?? "-"} ms`),
    );
    const lagTotal = current.lag.reduce((total, { lag }) => total + lag, 0);
    const perPartition = current.lag.map(({ partition, lag }) => `p${partition}:${count(lag)}`).join(" ");
    lines.push(`  lag ${count(lagTotal)}${perPartition ? ` (${perPartition})` : ""}`);
    lines.push(
      `  rebalanced ${ago(watched.lastRebalanceAt, now)}  dead letters ${count(current.deadLetters)}` +
        `  commit failures ${count(current.commitsFailed)}${current.stalled ? "  STALLED" : ""}`,
    );
  }
  return lines.map(fit);
}
