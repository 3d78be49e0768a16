// Runs inside the cluster (test/k8s/kube.ts mounts it into a pod of the batch consumer's image): the brokers'
// names resolve only there. Prints one JSON line.
//
//   records.ts audit <from> <to>                  the results topic audited for [from, to) (libs/audit)
//   records.ts pauses <from> <to> <fromMs> <toMs>  per input partition, the longest time between two consecutive
//                                                  values of [from, to) being processed (their results' record
//                                                  timestamps), within [fromMs, toMs] and before fromMs; and the
//                                                  longest end-to-end delay (result time - input time)
import { auditValues, forEachRecord } from "@kafka-fleet/audit";
import { deserializeInt } from "@kafka-fleet/serde";

// The mark of the result line (test/k8s/kube.ts reads it); spelled in both files, as this one runs alone in a pod.
const RESULT_MARK = "k8s-test-result ";
const bootstrapServers = (process.env.KAFKA_BOOTSTRAP_SERVERS ?? "").split(",");
const [mode, fromText, toText, windowFromText, windowToText] = process.argv.slice(2);
const from = BigInt(fromText ?? "0");
const to = BigInt(toText ?? "0");

function int(value: Buffer | null | undefined): bigint | undefined {
  try {
    return deserializeInt(value ?? null);
  } catch {
    return undefined;
  }
}

/** The one line the test reads back, marked: the pod's log also holds the Kafka client's own lines. */
function printResult(result: unknown): void {
  console.log(`${RESULT_MARK}${JSON.stringify(result)}`);
}

async function audit(): Promise<void> {
  const values: bigint[] = [];
  let unreadable = 0;
  await forEachRecord({ bootstrapServers, topic: "topic_app.results" }, (message) => {
    const value = int(message.value);
    if (value === undefined) unreadable += 1;
    else values.push(value);
  });
  const report = auditValues({ from, to }, values, unreadable);
  printResult(report);
}

async function pauses(): Promise<void> {
  const windowFrom = Number(windowFromText);
  const windowTo = Number(windowToText);
  // Input: each value's partition and produce time.
  const input = new Map<bigint, { partition: number; time: number }>();
  await forEachRecord({ bootstrapServers, topic: "topic_app" }, (message) => {
    const value = int(message.value);
    if (value !== undefined && value >= from && value < to)
      input.set(value, { partition: message.partition, time: message.timestamp ?? 0 });
  });
  // Results: when each value was processed (its first result).
  const processed = new Map<number, number[]>();
  let longestDelayMs = 0;
  const seen = new Set<bigint>();
  await forEachRecord({ bootstrapServers, topic: "topic_app.results" }, (message) => {
    const value = int(message.value);
    if (value === undefined || seen.has(value)) return;
    const source = input.get(value);
    if (source === undefined) return;
    seen.add(value);
    const time = message.timestamp ?? 0;
    const times = processed.get(source.partition) ?? [];
    times.push(time);
    processed.set(source.partition, times);
    if (time >= windowFrom && time <= windowTo) longestDelayMs = Math.max(longestDelayMs, time - source.time);
  });
  const partitions: Record<string, { longestGapMs: number; longestGapBeforeMs: number }> = {};
  for (const [partition, times] of processed) {
    times.sort((a, b) => a - b);
    let longestGapMs = 0;
    let longestGapBeforeMs = 0;
    for (let i = 1; i < times.length; i += 1) {
      const gap = times[i]! - times[i - 1]!;
      // A gap counts for the window when it ends inside it (the pause the window caused).
      if (times[i]! >= windowFrom && times[i - 1]! <= windowTo) longestGapMs = Math.max(longestGapMs, gap);
      else if (times[i]! < windowFrom) longestGapBeforeMs = Math.max(longestGapBeforeMs, gap);
    }
    partitions[String(partition)] = { longestGapMs, longestGapBeforeMs };
  }
  printResult({ partitions, longestDelayMs, values: seen.size });
}

if (mode === "audit") await audit();
else if (mode === "pauses") await pauses();
else {
  console.error("usage: records.ts audit <from> <to> | pauses <from> <to> <fromMs> <toMs>");
  process.exit(2);
}
