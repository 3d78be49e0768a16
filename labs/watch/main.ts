// make watch: a live view of the fleet in the terminal, read every second from each service's /metrics.
//
//   node --import tsx labs/watch/main.ts [--targets host:port,...] [--interval-ms 1000] [--once]
//
// Without --targets it looks for the local fleet's ports (make up-local: producer :9464, single-consumer :9465,
// batch consumers :9466...). Rates are the change of a counter between two scrapes, so the first frame has none.
import { parseArgs } from "node:util";

import { renderWatched, WIDTH } from "./view.ts";
import { Watcher } from "./watcher.ts";

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

const watcher = new Watcher(targets, Math.min(intervalMs, 900));

function frame(now: number): string {
  const shown = watcher.watched().filter((watched) => explicit || watched.current !== undefined);
  const title = `kafka-fleet watch  ${new Date(now).toLocaleTimeString("en-GB")}  every ${intervalMs} ms  (Ctrl-C quits)`;
  const lines = [title, "─".repeat(WIDTH)];
  if (shown.length === 0)
    lines.push("no service answers on :9464-:9473 yet (make up-local starts the fleet)");
  for (const watched of shown) lines.push(...renderWatched(watched, now), "");
  return lines.join("\n");
}

await watcher.scrapeAll();
if (args.once) {
  // One frame needs two scrapes for rates: take the second one an interval later.
  await new Promise((resolve) => setTimeout(resolve, intervalMs));
  await watcher.scrapeAll();
  process.stdout.write(`${frame(Date.now())}\n`);
} else {
  const tty = process.stdout.isTTY;
  for (;;) {
    // On a terminal, redraw in place; piped (a lab's log, say), one frame after another.
    process.stdout.write(`${tty ? "\x1b[H\x1b[2J" : ""}${frame(Date.now())}\n`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
    await watcher.scrapeAll();
  }
}
