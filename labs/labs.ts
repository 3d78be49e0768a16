// The labs: each one says what is about to happen, does it on real processes against the local cluster, shows
// it live, and ends with the audit's verdict and what it means. The faults come from the chaos suite
// (harness/chaos/scenarios.ts), which asserts kafka-fleet's promises; a lab adds the telling.
import type { AfterHook } from "../harness/kafka.ts";
import { scenarioById, type Scenario, type ScenarioResult, type Size } from "../harness/chaos/scenarios.ts";
import { byKey, byPartition, groupsOutOfOrder, runMode } from "../harness/ordering.ts";
import { measureBatchSizes } from "./batch-size.ts";
import { runGroup, type GroupRun, type ShareGroupsPlan } from "./share-groups.ts";

export interface LabOutcome {
  /** Lines of figures: the audit's verdict, a table. */
  readonly figures: string[];
  /** Whether what the lab claims was seen (missing 0, duplicates within the promise, ...). */
  readonly ok: boolean;
  /** What was seen and why, in a few lines. */
  readonly explanation: string[];
}

export interface Lab {
  readonly name: string;
  readonly title: string;
  /** What is about to happen and what to watch, 2-3 lines. */
  readonly intro: string[];
  /** The chaos scenarios it runs: test/labs asserts them through the lab, so the chaos test skips them. */
  readonly scenarios: readonly Scenario[];
  readonly run: (t: AfterHook, size: Size) => Promise<LabOutcome>;
}

const brokerKill = scenarioById("broker-kill");
const scaling = scenarioById("scaling");
const killsAtLeastOnce = scenarioById("consumer-kills-at-least-once");
const killsExactlyOnce = scenarioById("consumer-kills-exactly-once");
const poisonValues = scenarioById("poison-values");

/** The batch-size lab's slow stream: slower than any batch size can process, so latency is the batch's own wait. */
const STREAM_RATE = 40;

/** The share-groups lab: twice the partitions' worth of members, a stream 1.5× what one member per partition handles. */
const shareGroupsPlan = (size: Size): ShareGroupsPlan =>
  size === "full"
    ? { partitions: 6, members: 12, delayMs: 20, rate: 450, count: 5_400 }
    : { partitions: 2, members: 4, delayMs: 20, rate: 150, count: 1_200 };

const busy = (run: GroupRun) => run.processed.filter((count) => count > 0).length;

const verdict = (result: ScenarioResult) =>
  `verdict: ${result.values.toLocaleString("en-US")} values, ${result.missing} missing, ${result.duplicates} duplicates (${result.detail})`;

export const labs: readonly Lab[] = [
  {
    name: "broker-failure",
    title: "A broker dies: replication and in-sync replicas",
    intro: [
      "A producer writes a range with acks=all while two batch consumers process it; one of the three brokers is",
      "SIGKILLed mid-stream and started again later. Watch the producer keep going (min.insync.replicas=2 of 3).",
    ],
    scenarios: [brokerKill],
    async run(t, size) {
      const result = await brokerKill.run(t, size);
      return {
        figures: [verdict(result)],
        ok: result.missing === 0,
        explanation: [
          "Every partition has 3 replicas and needs 2 in sync to accept a write (acks=all). With one broker gone,",
          "its partitions' leadership moved to the survivors, writes kept being acknowledged by 2 replicas, and",
          "nothing acknowledged was lost. Duplicates, if any, are batches whose commit the broker's death cut off:",
          "at-least-once redelivers them. Code: deploy/local/cluster.sh (RF 3, minISR 2), libs/kafka/src/client-config.ts.",
        ],
      };
    },
  },
  {
    name: "rebalance",
    title: "A consumer group rebalancing as consumers come and go",
    intro: [
      "One batch consumer starts alone with all 6 partitions; two more join mid-stream, then leave with SIGTERM.",
      "Watch 'assigned' and 'revoked' lines: cooperative rebalancing moves only the partitions that change hands.",
    ],
    scenarios: [scaling],
    async run(t, size) {
      const result = await scaling.run(t, size);
      return {
        figures: [verdict(result)],
        ok: result.missing === 0 && result.duplicates === 0,
        explanation: [
          "Before giving a partition up, a consumer finishes and commits the batch it holds (libs/kafka/src/consumer.ts,",
          "the revoke hook), and it never processes records of partitions it no longer owns: a graceful rebalance",
          "repeats nothing. Joining and leaving cost a short pause on the partitions that move, not on the others.",
        ],
      };
    },
  },
  {
    name: "crash",
    title: "At-least-once vs exactly-once under a consumer crash",
    intro: [
      "A batch consumer is SIGKILLed mid-batch, again and again, first in at_least_once mode, then in exactly_once.",
      "Watch the duplicates count: the crashed batches are redone in both modes, but only one mode shows them.",
    ],
    scenarios: [killsAtLeastOnce, killsExactlyOnce],
    async run(t, size) {
      const atLeastOnce = await killsAtLeastOnce.run(t, size);
      const exactlyOnce = await killsExactlyOnce.run(t, size);
      return {
        figures: [`at_least_once  ${verdict(atLeastOnce)}`, `exactly_once   ${verdict(exactlyOnce)}`],
        ok: atLeastOnce.missing === 0 && exactlyOnce.missing === 0 && exactlyOnce.duplicates === 0,
        explanation: [
          "A crash between writing a batch's results and committing its offsets makes the next owner process the",
          "batch again. At-least-once: the results are written twice (the duplicates above, bounded by the batches",
          "in flight). Exactly-once: results and offsets are one Kafka transaction; the crashed one is aborted and",
          "read_committed readers never see it. Code: services/batch-consumer (PROCESSING_GUARANTEE).",
        ],
      };
    },
  },
  {
    name: "batch-size",
    title: "Batch size: the latency/throughput trade-off",
    intro: [
      "One batch consumer at BATCH_SIZE 1, 10 and 500: first it drains a backlog (throughput), then it follows a",
      "slow, steady stream of 40 msg/s (latency: record timestamp to processed). Watch the commits per batch.",
    ],
    scenarios: [],
    async run(t, size) {
      const rows = await measureBatchSizes(
        t,
        [1, 10, 500],
        size === "full" ? 20_000 : 3_000,
        STREAM_RATE,
        size === "full" ? 10 : 4,
      );
      const table = [
        `BATCH_SIZE   backlog msg/s   mean latency (${STREAM_RATE} msg/s stream)   commits`,
        ...rows.map(
          (row) =>
            `${String(row.batchSize).padStart(10)}   ${Math.round(row.backlogPerSecond).toLocaleString("en-US").padStart(13)}` +
            `   ${`${row.meanLatencyMs.toFixed(0)} ms`.padStart(31)}   ${String(row.commits).padStart(7)}`,
        ),
      ];
      const [one, , big] = rows;
      return {
        figures: table,
        // The trade-off, both ways: the big batch drains a backlog faster, the small one answers a slow stream sooner.
        ok:
          one !== undefined &&
          big !== undefined &&
          big.backlogPerSecond > one.backlogPerSecond &&
          one.meanLatencyMs < big.meanLatencyMs,
        explanation: [
          "Each batch costs a round trip for its results and one for its commit, whatever its size. Small batches",
          "pay them every few records: low throughput on a backlog, but a record is processed as soon as it comes.",
          "Large batches spread them over many records: high throughput, but on a slow stream a batch of 500 never",
          "fills, so each record waits up to BATCH_MAX_WAIT_MS (1 s here) for it to go. Code: libs/processing/src/batch.ts.",
        ],
      };
    },
  },
  {
    name: "ordering",
    title: "Ordering within a partition and across partitions",
    intro: [
      "Values 0, 1, 2, ... are written with 60 keys over 6 partitions; a single consumer whose handler takes a random",
      "0-10 ms per record processes them twice: ORDERING=key, then ORDERING=unordered. Watch the order the results come out in.",
    ],
    scenarios: [],
    async run(t, size) {
      const count = size === "full" ? 10_000 : 2_000;
      const keys = 60;
      const modes = [];
      for (const ordering of ["key", "unordered"] as const) {
        const { results, origins } = await runMode(t, ordering, count, keys);
        let descents = 0;
        for (let index = 1; index < results.length; index += 1)
          if (results[index]! < results[index - 1]!) descents += 1;
        modes.push({
          ordering,
          keysOut: groupsOutOfOrder(results, origins, byKey).length,
          partitionsOut: groupsOutOfOrder(results, origins, byPartition).length,
          descents,
        });
      }
      const [key, unordered] = modes;
      return {
        figures: [
          "ORDERING    keys out of order   partitions out of order   results before a smaller value",
          ...modes.map(
            (mode) =>
              `${mode.ordering.padEnd(10)}  ${`${mode.keysOut}/${keys}`.padStart(17)}   ${`${mode.partitionsOut}/6`.padStart(23)}   ${String(mode.descents).padStart(30)}`,
          ),
        ],
        ok:
          key !== undefined &&
          unordered !== undefined &&
          key.keysOut === 0 &&
          unordered.keysOut > 0 &&
          key.descents > 0,
        explanation: [
          "Kafka orders a partition, not a topic: results of different partitions interleave in any mode (the last",
          "column), because partitions are read and processed side by side. Within a partition, ORDERING=key runs one",
          "record per key at a time, so every key's records finish in offset order while different keys overtake each",
          "other; unordered lets a key's records overtake each other too. Code: libs/processing/src/ordering-queue.ts.",
        ],
      };
    },
  },
  {
    name: "poison",
    title: "A poison value and the dead-letter topic",
    intro: [
      "Values that are not 8-byte int64s (null, 0, 7, 9 bytes, 1 MiB) are mixed into a stream of good ones.",
      "Watch the 'dead letter' lines: each bad record is set aside with its origin, and the partition moves on.",
    ],
    scenarios: [poisonValues],
    async run(t, size) {
      const result = await poisonValues.run(t, size);
      return {
        figures: [verdict(result)],
        ok: result.missing === 0,
        explanation: [
          "A record the consumer can never process must not block its partition or crash the consumer: it goes to",
          "DLQ_TOPIC with headers naming its topic, partition, offset and the error, and its offset is committed",
          "like any other. Read them, headers included, with make read TOPIC=<topic>.dlq. Code: libs/worker/src/dead-letter.ts.",
        ],
      };
    },
  },
  {
    name: "share-groups",
    title: "Share groups: more members than partitions, all at work",
    intro: [
      "The same slow handler (20 ms a record) runs in twice as many members as the topic has partitions, first in a",
      "consumer group, then in a share group, under a stream faster than one member per partition can handle.",
      "Watch the watch view: in the consumer group half the members process nothing; in the share group all do.",
    ],
    scenarios: [],
    async run(t, size) {
      const plan = shareGroupsPlan(size);
      const consumer = await runGroup(t, "consumer", plan);
      const share = await runGroup(t, "share", plan);
      const row = (label: string, run: GroupRun) =>
        `${label.padEnd(14)} ${`${busy(run)} of ${run.processed.length}`.padStart(7)}   ${`${run.seconds.toFixed(1)} s`.padStart(7)}` +
        `   ${run.processed.join(", ").padEnd(30)}   ${run.missing} missing, ${run.duplicates} duplicates`;
      return {
        figures: [
          `${plan.count.toLocaleString("en-US")} values at ${plan.rate} msg/s on ${plan.partitions} partitions, ${plan.members} members, ${plan.delayMs} ms a record`,
          `group          at work   took      records per member               verdict (audit of the results)`,
          row("consumer", consumer),
          row("share", share),
        ],
        ok:
          consumer.missing === 0 &&
          share.missing === 0 &&
          busy(consumer) <= plan.partitions &&
          busy(share) === plan.members,
        explanation: [
          "A consumer group gives each partition to one member: with more members than partitions the rest wait,",
          "idle, for a partition to free up, and the group handles at most one partition's worth of members at once.",
          "A share group (KIP-932) lets every member read every partition: the broker hands each record to one",
          "member under a lock and counts its deliveries, so members past the partition count share the work and",
          "the stream is done sooner. The price: no order within a partition, no transactions, no offsets to rewind.",
          "Code: libs/worker/src/loops/share-loop.ts, GROUP_TYPE=share on the batch consumer; figures with Java's",
          "share consumer beside it: docs/benchmarks/share-groups.md.",
        ],
      };
    },
  },
];
