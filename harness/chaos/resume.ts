// Fault-injection scenarios of the producer and the single consumer: the producer SIGKILLed mid-range and resumed
// from where its log says, the single consumer under a broker kill and under its own SIGKILL.
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";

import { auditValues, forEachRecord, readTopicValues } from "@kafka-fleet/audit";
import { deserializeInt } from "@kafka-fleet/serde";

import type { LogLine, RunningChild } from "../child.ts";
import { BOOTSTRAP, createInputTopic, identity, type AfterHook } from "../kafka.ts";
import { CRASH_TEST_SESSION, recordCount, startService, waitForAssignment } from "../services.ts";
import { withAdmin } from "../admin.ts";
import { brokerOutage, groupCoordinator } from "./broker-outage.ts";
import { PROGRESS, isAlive, runPipeline, type Scenario } from "./pipeline.ts";

const PARTITIONS = 6;

/** The single consumers here take records in any order: the default for keyless values, said explicitly. */
const SINGLE_ENV = { ORDERING: "unordered" } as const;

/** Waits until `topic` holds as many records twice in a row a second apart: a killed client's last writes landed. */
async function settled(topic: string): Promise<number> {
  let before = -1;
  for (;;) {
    const count = await recordCount(topic);
    if (count === before) return count;
    before = count;
    await sleep(1000);
  }
}

/**
 * The killed runs' rate: high enough for many requests in flight at once, bounded so that a run lasts seconds
 * whatever the machine. Unpaced, a producer that queues a run of values per call sent the whole short range before
 * its first statistics (1 s) acknowledged anything, so no progress line was mid-range with a resumeFrom to resume
 * from, and the scenario failed on how fast the producer was.
 */
const KILLED_RUN_RATE = 500_000;

/**
 * The producer SIGKILLed mid-range, again and again, each successor started from the `resumeFrom` of the last
 * `producer.progress` line its predecessor wrote. At a high rate librdkafka acknowledges partitions out of order, so
 * the `acknowledged` count is no prefix; `resumeFrom` is (every value below it is acknowledged).
 */
const producerKills: Scenario = {
  name: "16. SIGKILL the producer mid-range, repeatedly, each time resumed from its last logged resumeFrom",
  short: true,
  async run(t, size) {
    // At KILLED_RUN_RATE, 3 s of a short run's range: progress lines (every 500 ms) catch each run mid-range.
    const values = size === "full" ? 3_000_000 : 1_500_000;
    const kills = size === "full" ? 3 : 2;
    const input = await createInputTopic(t, "chaos-resume");
    const to = BigInt(values);
    let from = 0n;
    // What the killed runs had sent from their last logged resumeFrom on, as their lines say (in flight at the
    // line), and what of it reached the topic (the most a successor can repeat).
    let inFlightAtLines = 0;
    let beyondResume = 0;
    let aheadOfPrefix = 0;
    for (let kill = 0; kill < kills; kill += 1) {
      const producer = startService(t, "producer", {
        KAFKA_TOPIC: input,
        PRODUCE_FROM: String(from),
        PRODUCE_TO: String(values),
        PRODUCE_RATE: String(KILLED_RUN_RATE),
        ...PROGRESS,
      });
      // Mid-range: this run has sent a share of what is left, and its statistics have acknowledged some of it.
      const share = Number(to - from) / (kills + 1 - kill);
      await producer.waitForEvent(
        "producer.progress",
        300_000,
        (line) =>
          Number(line.sent) >= share &&
          from + BigInt(Number(line.sent)) < to &&
          BigInt(String(line.resumeFrom)) > from,
      );
      producer.signal("SIGKILL");
      assert.equal((await producer.exited).signal, "SIGKILL", `killed producer: ${producer.stderr()}`);
      const line = lastProgress(producer);
      const resumeFrom = BigInt(String(line.resumeFrom));
      assert.ok(
        resumeFrom > from && resumeFrom < to,
        `killed mid-range: resumeFrom ${resumeFrom} in (${from}, ${to})`,
      );
      inFlightAtLines += Number(from + BigInt(Number(line.sent)) - resumeFrom);
      aheadOfPrefix += Number(line.acknowledged) - Number(resumeFrom - from);

      // The promise of the line: every value below resumeFrom is in the topic.
      await settled(input);
      const read = await readTopicValues({ bootstrapServers: BOOTSTRAP, topic: input });
      const below = auditValues({ from: 0n, to: resumeFrom }, read.values, read.unreadable);
      assert.equal(
        below.missing,
        0,
        `below resumeFrom ${resumeFrom}: missing e.g. ${below.missingSample.join(",")}`,
      );
      beyondResume += read.values.filter((value) => value >= resumeFrom).length;
      from = resumeFrom;
    }
    const last = startService(t, "producer", {
      KAFKA_TOPIC: input,
      PRODUCE_FROM: String(from),
      PRODUCE_TO: String(values),
      ...PROGRESS,
    });
    assert.equal((await last.exited).code, 0, `last producer: ${last.stderr()}`);
    const finished = last.logs.find((line) => line.event === "producer.finished");
    assert.equal(String(finished?.resumeFrom), String(values), "the last run says the range is done");

    await settled(input);
    const read = await readTopicValues({ bootstrapServers: BOOTSTRAP, topic: input });
    const report = auditValues({ from: 0n, to }, read.values, read.unreadable);
    assert.equal(report.missing, 0, `missing values, e.g. ${report.missingSample.join(",")}`);
    // A successor repeats only values at or past its predecessor's resumeFrom that had reached the topic.
    assert.ok(
      report.duplicates <= beyondResume,
      `${report.duplicates} duplicates > ${beyondResume} values the killed runs wrote past their resumeFrom`,
    );
    return {
      values,
      missing: report.missing,
      duplicates: report.duplicates,
      detail: `${kills} kills at ${KILLED_RUN_RATE.toLocaleString("en-US")} msg/s; in flight at the last lines ${inFlightAtLines.toLocaleString("en-US")}, written past resumeFrom ${beyondResume.toLocaleString("en-US")} (bound); acknowledged ahead of the prefix at those lines ${aheadOfPrefix.toLocaleString("en-US")}`,
    };
  },
};

function lastProgress(producer: RunningChild): LogLine {
  const line = producer.logs.findLast((l) => l.event === "producer.progress");
  assert.ok(line, "the producer logged its progress");
  return line;
}

/** The group's committed offsets on `topic`, summed (no commit yet counts 0). */
async function committedTotal(group: string, topic: string): Promise<number> {
  const offsets = await withAdmin(identity, (admin) => admin.committedOffsets(group, topic, PARTITIONS));
  return offsets.reduce((sum, { offset }) => sum + Math.max(0, offset), 0);
}

/**
 * Waits until the group has committed past `total` on `topic`. Asked again after a failed request too: with a
 * broker just killed, a request to it may time out before the client learns who took over.
 */
async function committedPast(
  group: string,
  topic: string,
  total: number,
  timeoutMs = 180_000,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let failure: unknown;
  for (;;) {
    try {
      const now = await committedTotal(group, topic);
      if (now > total) return now;
    } catch (error) {
      failure = error;
    }
    assert.ok(
      Date.now() < deadline,
      `group ${group} committed nothing past ${total} in ${timeoutMs} ms (last failure: ${String(failure)})`,
    );
    await sleep(500);
  }
}

/** The single consumers with the broker that coordinates their group SIGKILLed mid-stream, restarted later. */
const singleConsumerBrokerKill: Scenario = {
  name: "17. SIGKILL the broker that coordinates the single consumers' group mid-stream; restart it later",
  short: true,
  async run(t, size) {
    const values = size === "full" ? 300_000 : 40_000;
    const rate = size === "full" ? 5_000 : 2_000;
    const outage = brokerOutage(t);
    const report = await runPipeline(t, {
      values,
      consumers: 2,
      role: "single-consumer",
      env: SINGLE_ENV,
      producerEnv: { PRODUCE_RATE: String(rate) },
      async during({ produced, group, input }) {
        await produced(0.3);
        const coordinator = await groupCoordinator(group);
        const committedAtKill = await committedTotal(group, input);
        // Down until the stream went on on two brokers and another broker took the group's commits.
        await outage.downWhile(coordinator, "kill", async () => {
          await produced(0.6);
          await committedPast(group, input, committedAtKill);
        });
      },
    });
    await outage.restored();
    // As for the batch consumer: the members' sessions outlive the coordinator's move, the stored offsets wait for
    // the new coordinator, and nothing is processed twice.
    assert.equal(report.duplicates, 0, `${report.duplicates} duplicates: a broker loss repeats nothing`);
    return {
      values,
      missing: report.missing,
      duplicates: report.duplicates,
      detail: `2 single consumers (unordered); node ${outage.node ?? "?"} (the group's coordinator) killed at 30 %, at ${rate.toLocaleString("en-US")} msg/s; bound 0`,
    };
  },
};

/**
 * The results of records at or past the group's committed offsets: what a consumer killed now had processed and
 * not committed (its successor starts from the committed offsets and processes these again).
 */
async function processedPastCommits(group: string, input: string, results: string): Promise<number> {
  const committed = await withAdmin(identity, (admin) => admin.committedOffsets(group, input, PARTITIONS));
  const from = new Map(committed.map(({ partition, offset }) => [partition, Math.max(0, offset)]));
  const position = new Map<bigint, { partition: number; offset: number }>();
  await forEachRecord({ bootstrapServers: BOOTSTRAP, topic: input }, (message) => {
    if (message.value)
      position.set(deserializeInt(message.value), { partition: message.partition, offset: message.offset });
  });
  let past = 0;
  await forEachRecord({ bootstrapServers: BOOTSTRAP, topic: results }, (message) => {
    const at = message.value ? position.get(deserializeInt(message.value)) : undefined;
    if (at !== undefined && at.offset >= (from.get(at.partition) ?? 0)) past += 1;
  });
  return past;
}

/**
 * One single consumer SIGKILLed mid-stream and a new one started, again and again. Its offsets are stored as
 * records finish and committed by librdkafka every auto.commit.interval.ms: a kill repeats what was processed
 * since the last commit, measured after each kill as the results of records past the committed offsets.
 */
const singleConsumerKills: Scenario = {
  name: "18. SIGKILL the single consumer mid-stream, repeatedly, and start another",
  short: true,
  async run(t: AfterHook, size) {
    const values = size === "full" ? 200_000 : 30_000;
    const kills = size === "full" ? 5 : 2;
    const rate = size === "full" ? 2_000 : 1_000;
    let bound = 0;
    const report = await runPipeline(t, {
      values,
      consumers: 1,
      role: "single-consumer",
      env: { ...SINGLE_ENV, ...CRASH_TEST_SESSION },
      producerEnv: { PRODUCE_RATE: String(rate) },
      async during({ consumers, startConsumer, produced, kill, group, input, results }) {
        await produced(0.05);
        let committed = 0;
        for (let round = 0; round < kills; round += 1) {
          const victim = consumers.find(isAlive);
          assert.ok(victim, "a consumer to kill");
          // Mid-stream: it has committed since it started, and is busy with what comes next.
          await committedPast(group, input, committed);
          await kill(victim);
          await settled(results);
          bound += await processedPastCommits(group, input, results);
          committed = await committedTotal(group, input);
          await waitForAssignment(startConsumer(), 120_000);
        }
      },
    });
    assert.ok(
      report.duplicates <= bound,
      `${report.duplicates} duplicates > ${bound} records processed past the committed offsets at the kills`,
    );
    return {
      values,
      missing: report.missing,
      duplicates: report.duplicates,
      detail: `${kills} kills of the only consumer (unordered, session 10 s), at ${rate.toLocaleString("en-US")} msg/s; processed past the committed offsets at the kills ${bound.toLocaleString("en-US")} (bound)`,
    };
  },
};

export const resumeScenarios = {
  "producer-kills": producerKills,
  "single-consumer-broker-kill": singleConsumerBrokerKill,
  "single-consumer-kills": singleConsumerKills,
} as const satisfies Record<string, Scenario>;
