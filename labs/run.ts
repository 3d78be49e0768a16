// make lab [NAME=...]: without a name, lists the labs; with one, runs it against the local cluster (started by
// the Makefile target when it is not running).   node --import tsx labs/run.ts [NAME] [--full]
// A lab runs at the chaos suite's short sizes (a minute or two); --full runs the full-size fault.
import { parseArgs } from "node:util";

import { observeChildren } from "../harness/child.ts";
import { labs } from "./labs.ts";
import { heading, liveView, say } from "./lib/narrate.ts";

const { values: options, positionals } = parseArgs({
  allowPositionals: true,
  options: { full: { type: "boolean", default: false } },
});
const name = positionals[0];

if (name === undefined || name === "") {
  say("Labs: each one command, on real processes and the real local cluster (make lab NAME=<name>):", "");
  for (const lab of labs) say(`  ${lab.name.padEnd(16)} ${lab.title}`);
  process.exit(0);
}
const lab = labs.find((candidate) => candidate.name === name);
if (lab === undefined) {
  process.stderr.write(`lab: no lab named ${name}; make lab lists them\n`);
  process.exit(2);
}

heading(`Lab: ${lab.title}`);
say(...lab.intro);
heading("Live");
const live = liveView();
observeChildren(live.observe);
const cleanups: Array<() => Promise<void> | void> = [];
let failure: unknown;
try {
  const outcome = await lab.run({ after: (fn) => void cleanups.push(fn) }, options.full ? "full" : "short");
  heading(outcome.ok ? "Verdict: as promised" : "Verdict: NOT as promised");
  say(...outcome.figures);
  heading("What happened, and why");
  say(...outcome.explanation);
  process.exitCode = outcome.ok ? 0 : 1;
} catch (error) {
  failure = error;
} finally {
  observeChildren(undefined);
  live.stop();
  for (const cleanup of cleanups.reverse()) {
    try {
      await cleanup();
    } catch {
      // Cleaning up one thing must not stop the rest.
    }
  }
}
if (failure !== undefined) {
  heading("Verdict: a promise was broken");
  say(failure instanceof Error ? failure.message.split("\n")[0]! : JSON.stringify(failure));
  process.exitCode = 1;
}
