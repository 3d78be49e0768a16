// A test reporter for the one failure the spec reporter cannot explain: a test file whose process ended (a signal,
// or an exit) before it reported. Node then fails the whole file with just "test failed"; this says how the
// process ended and which test was running at the time. Silent otherwise. Used beside the spec reporter:
//   node --test --test-reporter=spec --test-reporter-destination=stdout \
//     --test-reporter=./test/reporters/process-exits.ts --test-reporter-destination=stderr
import type { TestEvent } from "node:test/reporters";

interface ProcessEnd {
  readonly exitCode?: number | null;
  readonly signal?: string | null;
}

export default async function* processExits(source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
  // Per file, the suites and test being run (by nesting level): a test is dequeued as it starts running.
  const running = new Map<string, string[]>();
  for await (const event of source) {
    const file = event.data !== undefined && "file" in event.data ? event.data.file : undefined;
    if (file === undefined) continue;
    if (event.type === "test:dequeue") {
      const path = running.get(file) ?? [];
      path.length = event.data.nesting;
      path.push(event.data.name);
      running.set(file, path);
    } else if (event.type === "test:fail") {
      const ended = event.data.details.error as Error & ProcessEnd;
      // Only the file-level failure of a process that ended early carries these.
      if (!("exitCode" in ended) || event.data.nesting !== 0) continue;
      const how =
        ended.signal !== null && ended.signal !== undefined
          ? `was killed by ${ended.signal}`
          : `exited with code ${String(ended.exitCode)}`;
      const at = (running.get(file) ?? []).join(" › ");
      yield `\n✖ ${file}: its test process ${how} at ${new Date().toISOString()}, while running: ${at}\n`;
    }
  }
}
