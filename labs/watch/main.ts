// make watch: a live view of the fleet in the terminal, read every second from each service's /metrics.
//
//   node --import tsx labs/watch/main.ts [--targets host:port,...] [--interval-ms 1000] [--once]
//
// Without --targets it looks for the local fleet's ports (make up-local: producer :9464, single-consumer :9465,
// batch consumers :9466...). Rates are the change of a counter between two scrapes, so the first frame has none.
import { parseArgs } from "node:util";

import { parseMetricsText } from "./metrics-text.ts";
import { snapshotOf } from "./snapshot.ts";
import { renderWatched, WIDTH, type Watched } from "./view.ts";

const LOCAL_FLEET_PORTS = Array.from({ length: 10 }, (_, index) => 9464 + index);

function usage(message: string): never {
  process.stderr.write(
    `watch: ${message}\nusage: make watch [WATCH_ARGS="--targets host:port,... --once"]\n`,
  );
  process.exit(2);
}

let args;
try {
  args = parseArgs({
    options: {
      targets: { type: "string" },
      "interval-ms": { type: "string", default: "1000" },
      once: { type: "boolean", default: false },
    },
  }).values;
} catch (error) {
  usage(error instanceof Error ? error.message : String(error));
}
const intervalMs = Number(args["interval-ms"]);
if (!Number.isInteger(intervalMs) || intervalMs < 100)
  usage("--interval-ms must be an integer of at least 100");
const explicit = args.targets !== undefined;
const targets = (args.targets?.split(",") ?? LOCAL_FLEET_PORTS.map((port) => `127.0.0.1:${port}`)).map(
  (target) => (target.includes("://") ? target.trim() : `http://${target.trim()}`),
);

const state = new Map<string, Watched>(
  targets.map((target) => [
    target,
    { target, current: undefined, previous: undefined, lastRebalanceAt: undefined, error: undefined },
  ]),
);

async function scrape(target: string): Promise<void> {
  const watched = state.get(target)!;
  try {
    const response = await fetch(`${target}/metrics`, {
      signal: AbortSignal.timeout(Math.min(intervalMs, 900)),
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const current = snapshotOf(parseMetricsText(await response.text()), Date.now());
    const previous = watched.current;
    const rebalanced = previous !== undefined && current.rebalances !== previous.rebalances;
    state.set(target, {
      target,
      current,
      previous,
      lastRebalanceAt: rebalanced ? current.at : watched.lastRebalanceAt,
      error: undefined,
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    state.set(target, {
      ...watched,
      current: undefined,
      previous: undefined,
      error: `unreachable (${reason})`,
    });
  }
}

function frame(now: number): string {
  const shown = [...state.values()].filter((watched) => explicit || watched.current !== undefined);
  const title = `kafka-fleet watch  ${new Date(now).toLocaleTimeString("en-GB")}  every ${intervalMs} ms  (Ctrl-C quits)`;
  const lines = [title, "─".repeat(WIDTH)];
  if (shown.length === 0)
    lines.push("no service answers on :9464-:9473 yet (make up-local starts the fleet)");
  for (const watched of shown) lines.push(...renderWatched(watched, now), "");
  return lines.join("\n");
}

await Promise.all(targets.map(scrape));
if (args.once) {
  // One frame needs two scrapes for rates: take the second one an interval later.
  await new Promise((resolve) => setTimeout(resolve, intervalMs));
  await Promise.all(targets.map(scrape));
  process.stdout.write(`${frame(Date.now())}\n`);
} else {
  const tty = process.stdout.isTTY;
  for (;;) {
    // On a terminal, redraw in place; piped (a lab's log, say), one frame after another.
    process.stdout.write(`${tty ? "\x1b[H\x1b[2J" : ""}${frame(Date.now())}\n`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
    await Promise.all(targets.map(scrape));
  }
}
