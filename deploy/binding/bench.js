// A/B of the binding's record conversion: main-thread CPU per consumed record and msg/s, for two builds of
// @confluentinc/kafka-javascript, on librdkafka's mock cluster (no shared broker needed).
//
//   node deploy/binding/bench.js <package dir A> <package dir B> [records=250000] [rounds=4] [consume|deliver|produce|produce-run|produce-vs-run]
//
// The parent process hosts the mock cluster (through a producer of build A) and fills one topic with 8-byte
// records, then runs one child per build and round, interleaved (A B A B ...), so that the noise of a shared
// machine falls on both alike. Each child assigns every partition from offset 0 and reads the records through
// consume(500, cb), the call the services make; it reports the CPU time of its main thread
// (process.threadCpuUsage: the conversion and the JavaScript that follows it, not librdkafka's threads), the
// CPU time of its libuv pool threads (where consume(n) takes the messages from librdkafka and, patched, packs
// them: /proc's per-thread schedstat, Linux only) and the wall-clock rate from the first batch to the last. `deliver` measures the producer side instead: each child
// produces the records with a delivery report per message (dr_cb) and waits for the last report; its CPU per
// record is produce() plus the report, so only the difference between A and B is the reports' conversion.
// `produce` is the producer service's path: produce() with failure-only delivery reports
// (delivery.report.only.error=true) and one flush() at the end, so its CPU per record is produce() itself.
// `produce-vs-run` (A and B may be the same build): A as `produce`, B the same values through produceRun()
// (produce-run.patch), runs of RUN_LENGTH values to one partition at a time, round robin, as the producer service
// places them. `produce-run`: both builds through produceRun(), to compare two versions of that patch.
import { Buffer } from "node:buffer";
import { spawn } from "node:child_process";
import console from "node:console";
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import path from "node:path";
import process from "node:process";
import { setTimeout as sleep } from "node:timers/promises";

const BATCH = 500;
/** Values per produceRun() call in `produce-vs-run` and `produce-run` (the producer service's own runs are longer). */
const RUN_LENGTH = 1000;
const TOPIC = "bench";

if (process.argv[2] === "--child") await child();
else await parent();

async function parent() {
  const [dirA, dirB] = process.argv.slice(2, 4).map((d) => path.resolve(d));
  const records = Number(process.argv[4] ?? 250_000);
  const rounds = Number(process.argv[5] ?? 4);
  const mode = process.argv[6] ?? "consume";
  if (!dirA || !dirB) throw new Error("usage: bench.js <package dir A> <package dir B> [records] [rounds]");
  // The mock cluster keeps at most 5 MiB per partition (older batches are dropped) and makes 4 partitions.
  if (records > 250_000) throw new Error("at most 250000 records: the mock cluster would drop the oldest");
  const { Producer } = createRequire(path.join(dirA, "package.json"))(dirA);
  const producer = new Producer({
    "test.mock.num.brokers": 1,
    "bootstrap.servers": "127.0.0.1:1", // replaced by the mock cluster's
    "linger.ms": 20,
    "batch.num.messages": 10000,
    "queue.buffering.max.messages": 200000,
    "compression.codec": "none",
  });
  await new Promise((resolve, reject) => producer.connect({}, (e) => (e ? reject(e) : resolve())));
  producer.setPollInterval(20);
  const value = Buffer.alloc(8, 7);
  for (let i = 0; mode === "consume" && i < records;) {
    try {
      producer.produce(TOPIC, null, value, null, Date.now());
      i++;
    } catch {
      await sleep(5); // queue full
    }
  }
  await new Promise((resolve, reject) => producer.flush(60000, (e) => (e ? reject(e) : resolve())));
  const metadata = await new Promise((resolve, reject) =>
    producer.getMetadata({ topic: TOPIC, timeout: 10000 }, (e, m) => (e ? reject(e) : resolve(m))),
  );
  const bootstrap = metadata.brokers.map((b) => `${b.host}:${b.port}`).join(",");
  const partitions = metadata.topics.find((t) => t.name === TOPIC)?.partitions.length ?? 0;
  console.log(
    mode === "consume"
      ? `mock cluster ${bootstrap}: ${records} records of 8 B in ${partitions} partitions, consumed per round and build`
      : `mock cluster ${bootstrap}: ${records} records of 8 B produced per round and build`,
  );

  const results = { A: [], B: [] };
  for (let round = 1; round <= rounds; round++) {
    for (const [name, dir] of round % 2
      ? [
          ["A", dirA],
          ["B", dirB],
        ]
      : [
          ["B", dirB],
          ["A", dirA],
        ]) {
      const childMode = mode === "produce-vs-run" ? (name === "A" ? "produce" : "produce-run") : mode;
      const r = await runChild(childMode, dir, bootstrap, partitions, records);
      results[name].push(r);
      console.log(
        `round ${round} ${name}: ${r.usPerRecord.toFixed(3)} µs main-thread CPU/record, ` +
          `${Number(r.usPoolPerRecord ?? NaN).toFixed(3)} µs libuv-pool CPU/record, ` +
          `${Math.round(r.msgPerSec).toLocaleString("en")} msg/s, ${Math.round(r.perCall)} records/call, digest ${r.digest}`,
      );
    }
  }
  const median = (xs) => {
    const sorted = [...xs].sort((a, b) => a - b);
    const middle = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  };
  const summary = {};
  for (const name of ["A", "B"]) {
    summary[name] = {
      usPerRecord: median(results[name].map((r) => r.usPerRecord)),
      usPoolPerRecord: median(results[name].map((r) => r.usPoolPerRecord)),
      msgPerSec: median(results[name].map((r) => r.msgPerSec)),
    };
  }
  console.log(
    `median A: ${summary.A.usPerRecord.toFixed(3)} µs/record, ${Math.round(summary.A.msgPerSec)} msg/s; ` +
      `median B: ${summary.B.usPerRecord.toFixed(3)} µs/record, ${Math.round(summary.B.msgPerSec)} msg/s; ` +
      `B/A CPU per record ${(summary.B.usPerRecord / summary.A.usPerRecord).toFixed(3)}, ` +
      `B/A msg/s ${(summary.B.msgPerSec / summary.A.msgPerSec).toFixed(3)}`,
  );
  console.log(
    `libuv pool, median A: ${summary.A.usPoolPerRecord.toFixed(3)} µs/record; ` +
      `median B: ${summary.B.usPoolPerRecord.toFixed(3)} µs/record; ` +
      `B/A ${(summary.B.usPoolPerRecord / summary.A.usPoolPerRecord).toFixed(3)}`,
  );
  console.log(JSON.stringify({ mode, records, rounds, results, summary }));
  producer.disconnect();
}

function runChild(mode, dir, bootstrap, partitions, records) {
  return new Promise((resolve, reject) => {
    const proc = spawn(
      process.execPath,
      [fileURLToPath(import.meta.url), "--child", mode, dir, bootstrap, String(partitions), String(records)],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    let out = "";
    proc.stdout.on("data", (d) => (out += d));
    proc.on("exit", (code) =>
      code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`child exited ${code}`)),
    );
  });
}

async function child() {
  const [mode, dir, bootstrap, partitions, records] = process.argv.slice(3);
  if (mode === "deliver") return deliver(dir, bootstrap, Number(records));
  if (mode === "produce") return produceOnly(dir, bootstrap, Number(records));
  if (mode === "produce-run") return produceRuns(dir, bootstrap, Number(partitions), Number(records));
  const { KafkaConsumer } = createRequire(path.join(dir, "package.json"))(dir);
  const consumer = new KafkaConsumer(
    { "bootstrap.servers": bootstrap, "group.id": `bench-${process.pid}`, "enable.auto.commit": false },
    {},
  );
  await new Promise((resolve, reject) => consumer.connect({}, (e) => (e ? reject(e) : resolve())));
  consumer.setDefaultConsumeTimeout(1000);
  consumer.setDefaultIsTimeoutOnlyForFirstMessage(true);
  consumer.assign(
    Array.from({ length: Number(partitions) }, (_, p) => ({ topic: TOPIC, partition: p, offset: 0 })),
  );
  const total = Number(records);
  let seen = 0;
  let skipped = 0;
  let calls = 0;
  let digest = 0;
  let cpu0, pool0, t0;
  let last = Date.now();
  while (skipped + seen < total) {
    if (Date.now() - last > 30_000) throw new Error(`no record for 30 s after ${skipped + seen}`);
    const batch = await new Promise((resolve, reject) =>
      consumer.consume(BATCH, (e, m) => (e ? reject(e) : resolve(m))),
    );
    for (const m of batch) digest = (digest + m.offset + m.partition + m.value[0] + m.size) % 1_000_000_007;
    if (batch.length && t0 === undefined) {
      // The clock starts at the first batch: connecting and the first fetch are not the conversion.
      cpu0 = process.threadCpuUsage();
      pool0 = libuvPoolNs();
      t0 = process.hrtime.bigint();
      skipped = batch.length;
      continue;
    }
    seen += batch.length;
    calls++;
    if (batch.length) last = Date.now();
  }
  const figures = measured(seen, calls, cpu0, t0, digest, pool0);
  consumer.disconnect();
  process.stdout.write(JSON.stringify(figures));
}

/**
 * A child's figures: main-thread CPU per record and records per second since `cpu0` / `t0`, and the libuv
 * pool's CPU per record since `pool0` (NaN when not measured).
 */
function measured(records, calls, cpu0, t0, digest, pool0) {
  const cpu = process.threadCpuUsage(cpu0);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return {
    records,
    usPerRecord: (cpu.user + cpu.system) / records,
    usPoolPerRecord: pool0 === undefined ? NaN : (libuvPoolNs() - pool0) / 1000 / records,
    msgPerSec: records / seconds,
    perCall: records / calls,
    digest,
  };
}

/** A connected producer of the package in `dir`, on the mock cluster, with `config` on top of the bench's own. */
async function connectedProducer(dir, bootstrap, config) {
  const { Producer } = createRequire(path.join(dir, "package.json"))(dir);
  const producer = new Producer({
    "bootstrap.servers": bootstrap,
    dr_cb: true,
    "linger.ms": 5,
    "queue.buffering.max.messages": 100000,
    ...config,
  });
  await new Promise((resolve, reject) => producer.connect({}, (e) => (e ? reject(e) : resolve())));
  producer.setPollInterval(5);
  return producer;
}

/** Produces `total` 8-byte values to `topic`, sleeping on a full queue; returns the CPU and clock at the start. */
async function produceAll(producer, topic, total, timestamp) {
  const value = Buffer.alloc(8, 7);
  const started = { cpu0: process.threadCpuUsage(), t0: process.hrtime.bigint() };
  for (let i = 0; i < total;) {
    try {
      producer.produce(topic, null, value, null, timestamp);
      i++;
    } catch {
      await sleep(1); // queue full
    }
  }
  return started;
}

async function deliver(dir, bootstrap, total) {
  const producer = await connectedProducer(dir, bootstrap, {});
  let reported = 0;
  let digest = 0;
  let done;
  const finished = new Promise((resolve) => (done = resolve));
  producer.on("delivery-report", (error, report) => {
    if (error) throw error;
    digest = (digest + report.size + (report.key === null ? 1 : 0)) % 1_000_000_007;
    if (++reported === total) done();
  });
  const { cpu0, t0 } = await produceAll(producer, "deliver", total, 0);
  await finished;
  const figures = measured(total, total, cpu0, t0, digest);
  producer.disconnect();
  process.stdout.write(JSON.stringify(figures));
}

async function produceOnly(dir, bootstrap, total) {
  // The producer service's settings: failure-only reports, no timestamp (librdkafka stamps the message).
  const producer = await connectedProducer(dir, bootstrap, { "delivery.report.only.error": true });
  let failed = 0;
  producer.on("delivery-report", () => failed++);
  const { cpu0, t0 } = await produceAll(producer, "produce", total, null);
  await new Promise((resolve, reject) => producer.flush(60000, (e) => (e ? reject(e) : resolve())));
  if (failed) throw new Error(`${failed} delivery failures`);
  const figures = measured(total, total, cpu0, t0, total);
  producer.disconnect();
  process.stdout.write(JSON.stringify(figures));
}

/** The CPU time of this process's libuv pool threads so far, in ns (schedstat's first field). */
function libuvPoolNs() {
  let ns = 0;
  for (const tid of readdirSync("/proc/self/task")) {
    try {
      if (readFileSync(`/proc/self/task/${tid}/comm`, "utf8").trim() !== "libuv-worker") continue;
      ns += Number(readFileSync(`/proc/self/task/${tid}/schedstat`, "utf8").split(" ")[0]);
    } catch {
      // The thread ended meanwhile.
    }
  }
  return ns;
}

/** `produce`, the values sent through produceRun(): RUN_LENGTH at a time, to one partition after another. */
async function produceRuns(dir, bootstrap, partitions, total) {
  const producer = await connectedProducer(dir, bootstrap, { "delivery.report.only.error": true });
  let failed = 0;
  producer.on("delivery-report", () => failed++);
  const values = Buffer.alloc(8 * RUN_LENGTH, 7);
  const cpu0 = process.threadCpuUsage();
  const t0 = process.hrtime.bigint();
  let calls = 0;
  for (let sent = 0, run = 0; sent < total;) {
    const count = Math.min(RUN_LENGTH, total - sent);
    let queued = 0;
    try {
      queued = producer.produceRun("produce", run % partitions, values, 8, count);
    } catch {
      // queue full before the first value
    }
    calls++;
    sent += queued;
    if (queued === count) run++;
    else await sleep(1); // queue full: the rest of the run goes to the same partition
  }
  await new Promise((resolve, reject) => producer.flush(60000, (e) => (e ? reject(e) : resolve())));
  if (failed) throw new Error(`${failed} delivery failures`);
  const figures = measured(total, calls, cpu0, t0, total);
  producer.disconnect();
  process.stdout.write(JSON.stringify(figures));
}
