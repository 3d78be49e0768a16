// Where the batch consumer's CPU goes, per stage of the consume path, from a `perf record -g` of the service
// (every thread; `node --perf-basic-prof-only-functions` names the JavaScript frames). Each sample is given to
// the first stage one of its frames belongs to, from the leaf up, so a malloc under the record building counts
// as record building; a sample of a librdkafka thread counts as librdkafka's.
//
//   perf script -i perf.data -F comm,tid,ip,sym,dso | node --import tsx bench/perf-consume-summary.ts
import { readFileSync } from "node:fs";

/** [stage, test on a frame's text]: the first frame, from the leaf up, that a test accepts decides the stage. */
const MAIN_STAGES: ReadonlyArray<readonly [string, RegExp]> = [
  [
    "garbage collection",
    /v8::internal::(Heap|Scavenger|MarkCompact|MinorMarkSweep|ConcurrentMarking|Sweeper)/,
  ],
  ["binding: pack the batch (C++)", /PackedBatch::Pack/],
  [
    "binding: free librdkafka's messages",
    /rd_kafka_message_destroy|MessageImpl::~MessageImpl|rd_kafka_msg_destroy/,
  ],
  ["binding: record objects in JS (unpackMessages)", /unpackMessages|copyOut/],
  ["binding: the rest of its JS (emit 'data' per record, callbacks)", /kafka-javascript\/lib\//],
  ["decoding (libs/serde)", /libs\/serde\/|readBigInt64BE/],
  ["worker record objects (toWorkerRecord)", /toWorkerRecord/],
  ["metrics (prom-client)", /prom-client|observeLatency/],
  ["logging (pino)", /pino|logger\.ts|sonic-boom/],
  ["handler (publishValues)", /publish-values/],
  [
    "commits (commit, read-back)",
    /commitInBackground|#commitPending|KafkaConsumerCommitted|NodeCommit|\bcommit\b/,
  ],
  ["worker bookkeeping (batching, offsets, order, pipeline)", /libs\/(worker|processing|kafka)\/src\//],
  [
    "hand-off to and from the libuv worker (uv_queue_work, wake-ups)",
    /uv_queue_work|NodeConsume|pthread_cond/,
  ],
];
/** For a sample none of whose frames is of a stage above. */
const GENERIC_STAGES: ReadonlyArray<readonly [string, RegExp]> = [
  ["other JavaScript (Node internals, promises, event loop)", /JS:|Builtins_|node::|uv_|v8::/],
  ["kernel and libc, no JavaScript on the stack", /./],
];

function stageOf(thread: string, frames: readonly string[]): string {
  if (thread.startsWith("rdk:"))
    return `librdkafka threads (${thread.replace(/\d.*$/, "")}: fetch, parse, queue)`;
  if (thread === "libuv-worker") {
    if (frames.some((frame) => /Committed|committed/.test(frame))) return "libuv worker: commit read-back";
    return "libuv worker: consume(n), one rd_kafka_consumer_poll per record";
  }
  if (thread.startsWith("V8Worker") || thread.startsWith("V8 ")) return "V8 helper threads (GC, compiler)";
  if (thread !== "MainThread" && thread !== "node") return `other threads (${thread})`;
  for (const stages of [MAIN_STAGES, GENERIC_STAGES]) {
    for (const frame of frames) {
      for (const [stage, test] of stages) if (test.test(frame)) return `main: ${stage}`;
    }
  }
  return "main: other";
}

const text = readFileSync(process.argv[2] ?? 0, "utf8");
const counts = new Map<string, number>();
let total = 0;
const threads = new Map<string, number>();
for (const block of text.split(/\n\s*\n/)) {
  const lines = block.split("\n").filter((line) => line.trim() !== "");
  const head = lines[0];
  if (head === undefined) continue;
  const thread = head.trim().split(/\s+/).slice(0, -1).join(" ");
  const stage = stageOf(thread, lines.slice(1));
  counts.set(stage, (counts.get(stage) ?? 0) + 1);
  threads.set(thread, (threads.get(thread) ?? 0) + 1);
  total += 1;
}
const rows = [...counts].sort((a, b) => b[1] - a[1]);
const mainSamples = rows.filter(([stage]) => stage.startsWith("main: ")).reduce((sum, [, n]) => sum + n, 0);
const percent = (n: number, of: number) => `${((100 * n) / of).toFixed(1).padStart(5)} %`;
process.stdout.write(`${total} samples, ${mainSamples} of the main thread\n\n  of all | of main | stage\n`);
for (const [stage, n] of rows) {
  const ofMain = stage.startsWith("main: ") ? percent(n, mainSamples) : "      -";
  process.stdout.write(`${percent(n, total)} | ${ofMain} | ${stage}\n`);
}
process.stdout.write("\nby thread:\n");
for (const [thread, n] of [...threads].sort((a, b) => b[1] - a[1]))
  process.stdout.write(`${percent(n, total)}  ${thread}\n`);
