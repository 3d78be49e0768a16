// The dead-letter tool (tools/dlq) on the real cluster: dead letters made by a real batch consumer, listed, shown,
// replayed once after the handler's fix (twice sends nothing more), poison that fails again dead-lettered again
// and left alone by later replays, a dry run that sends nothing, and bad arguments refused on one line.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { it } from "node:test";

import { auditValues, forEachRecord, readTopicValues } from "@kafka-fleet/audit";
import type { Message } from "@kafka-fleet/kafka";
import { serializeInt } from "@kafka-fleet/serde";

import {
  BOOTSTRAP,
  REPO_ROOT,
  createInputTopic,
  createTestTopic,
  deleteGroupAfter,
  produceValues,
  testProducer,
  uniqueName,
} from "../../harness/kafka.ts";
import {
  metricValue,
  metricsOf,
  recordCount,
  startService,
  stopGracefully,
  waitForRecords,
} from "../../harness/services.ts";

const rejectingConsumer = {
  path: fileURLToPath(new URL("./fixtures/rejecting-batch-consumer.ts", import.meta.url)),
};

interface Run {
  code: number | null;
  lines: Array<Record<string, unknown>>;
  stderr: string;
}

/** Runs the tool as a user would (bin/run), against the test cluster. */
function dlq(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      `${REPO_ROOT}bin/run`,
      [`${REPO_ROOT}tools/dlq/main.ts`, ...args],
      { env: { ...process.env, KAFKA_BOOTSTRAP_SERVERS: BOOTSTRAP.join(",") }, timeout: 120_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : null;
        const lines = stdout
          .split("\n")
          .filter((line) => line !== "")
          .map((line) => JSON.parse(line) as Record<string, unknown>);
        resolve({ code, lines, stderr });
      },
    );
  });
}

const actions = (run: Run) => run.lines.map((line) => `${String(line.code)}:${String(line.action)}`).sort();

it("dead letters listed, shown, replayed once after a fix; poison that fails again is not sent again", async (t) => {
  const input = await createInputTopic(t, "dlq-tool", 2);
  const letters = `${input}.dlq`;
  const results = await createTestTopic(t, "dlq-tool-results", 1);
  const group = uniqueName("dlq-tool");
  deleteGroupAfter(t, group);
  const producer = await testProducer(t);
  await produceValues(producer, input, 0n, 10n);
  await producer.sendAll([
    {
      topic: input,
      partition: 0,
      key: Buffer.from("bad-a"),
      value: Buffer.alloc(3),
      headers: [{ traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" }],
    },
    { topic: input, partition: 1, key: Buffer.from("bad-b"), value: Buffer.alloc(5) },
    { topic: input, partition: 1, key: Buffer.from("bad-c"), value: null },
  ]);

  // A handler with a data bug: it rejects 7. Three values do not decode.
  const buggy = startService(t, rejectingConsumer, {
    KAFKA_TOPIC: input,
    RESULTS_TOPIC: results,
    CONSUMER_GROUP: group,
    REJECT_VALUE: "7",
    RETRY_MAX: "1",
    RETRY_BACKOFF_MS: "10",
  });
  await waitForRecords(letters, 4, 60_000);
  await waitForRecords(results, 9, 60_000);
  assert.equal(await stopGracefully(buggy), 0, buggy.stderr());

  const listed = await dlq("list", "--topic", letters);
  assert.equal(listed.code, 0, listed.stderr);
  assert.deepEqual(
    listed.lines.map((line) => [line.code, line.originTopic, line.originPartition, line.count, line.replays]),
    [
      ["PROCESSING_FAILED", input, (listed.lines[0] as { originPartition: number }).originPartition, 1, 0],
      ["SERDE_MISSING_VALUE", input, 1, 1, 0],
      ["SERDE_WRONG_LENGTH", input, 0, 1, 0],
      ["SERDE_WRONG_LENGTH", input, 1, 1, 0],
    ],
  );
  assert.match(listed.stderr, /4 dead letters selected/);

  const [rejected, ...others] = (
    await dlq("list", "--topic", letters, "--each", "--code", "PROCESSING_FAILED")
  ).lines;
  assert.equal(others.length, 0);
  const [, partition, offset] = String(rejected?.dlq).split("/").slice(-3);
  const shown = await dlq(
    "show",
    "--topic",
    letters,
    "--partition",
    String(partition),
    "--offset",
    String(offset),
  );
  assert.equal(shown.code, 0, shown.stderr);
  const [view] = shown.lines as Array<{ value: { hex: string }; headers: Array<[string, string]> }>;
  assert.equal(view?.value.hex, serializeInt(7n).toString("hex"));
  assert.deepEqual(
    view?.headers.filter(([name]) => name === "dlq.error.code" || name === "dlq.original.topic"),
    [
      ["dlq.original.topic", input],
      ["dlq.error.code", "PROCESSING_FAILED"],
    ],
  );
  assert.match(
    String(view?.headers.find(([name]) => name === "dlq.error.message")?.[1]),
    /value 7 is rejected/,
  );

  // Bad arguments: one line, exit 2, nothing sent.
  const refusals: Array<[string[], RegExp]> = [
    [["list", "--topic", uniqueName("no-such")], /^dlq: topic \S+ \(--topic\) does not exist$/],
    [
      ["replay", "--topic", letters, "--to", uniqueName("no-such")],
      /^dlq: topic \S+ \(--to\) does not exist$/,
    ],
    [
      ["replay", "--topic", letters, "--from-offset", "9", "--to-offset", "3"],
      /--from-offset 9 is after --to-offset 3/,
    ],
    [["replay", "--topic", letters, "--from-offset", "-2"], /--from-offset' argument is ambiguous/],
    [["replay", "--topic", letters, "--from-offset=-2"], /--from-offset must be an offset/],
    [
      ["show", "--topic", letters, "--partition", "5", "--offset", "0"],
      /--partition 5: \S+ has partitions 0 to 1/,
    ],
    [["show", "--topic", letters, "--partition", "0", "--offset", "999"], /no record at \S+\/0\/999/],
    [["replay", "--topic", letters, "--each"], /--each is for list/],
  ];
  for (const [args, expected] of refusals) {
    const refused = await dlq(...args);
    assert.equal(refused.code, 2, `${args.join(" ")}: ${refused.stderr}`);
    assert.equal(refused.stderr.trimEnd().split("\n").length, 1, refused.stderr);
    assert.match(refused.stderr.trimEnd(), expected);
  }

  const dryRun = await dlq("replay", "--topic", letters, "--dry-run");
  assert.equal(dryRun.code, 0, dryRun.stderr);
  assert.deepEqual(actions(dryRun), [
    "PROCESSING_FAILED:would-send",
    "SERDE_MISSING_VALUE:would-send",
    "SERDE_WRONG_LENGTH:would-send",
    "SERDE_WRONG_LENGTH:would-send",
  ]);
  assert.equal(await recordCount(input), 13, "the dry run and the refusals sent nothing");

  // To another topic: key, value and the record's own headers, not the dlq.* ones; once.
  const side = await createTestTopic(t, "dlq-tool-side", 1);
  const selected = ["--code", "SERDE_WRONG_LENGTH", "--origin-partition", "0", "--to", side];
  const toSide = await dlq("replay", "--topic", letters, ...selected);
  assert.deepEqual([toSide.code, actions(toSide)], [0, ["SERDE_WRONG_LENGTH:sent"]], toSide.stderr);
  const toSideAgain = await dlq("replay", "--topic", letters, ...selected);
  assert.deepEqual(actions(toSideAgain), ["SERDE_WRONG_LENGTH:already-replayed"]);
  const sideRecords: Message[] = [];
  await forEachRecord({ bootstrapServers: BOOTSTRAP, topic: side }, (message) => sideRecords.push(message));
  assert.equal(sideRecords.length, 1);
  assert.equal(String(sideRecords[0]?.key), "bad-a");
  assert.deepEqual(sideRecords[0]?.value, Buffer.alloc(3));
  assert.deepEqual(
    (sideRecords[0]?.headers ?? []).map((header) =>
      Object.entries(header).map(([name, value]) => [name, String(value)]),
    ),
    [
      [["traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"]],
      [["kafka-fleet.replay-of", String(toSide.lines[0]?.dlq)]],
    ],
  );

  // The fix: the fleet's own batch consumer, same group.
  const fixed = startService(t, "batch-consumer", {
    KAFKA_TOPIC: input,
    RESULTS_TOPIC: results,
    CONSUMER_GROUP: group,
  });
  const first = await dlq("replay", "--topic", letters, "--code", "PROCESSING_FAILED");
  assert.deepEqual([first.code, actions(first)], [0, ["PROCESSING_FAILED:sent"]], first.stderr);
  const again = await dlq("replay", "--topic", letters, "--code", "PROCESSING_FAILED");
  assert.deepEqual([again.code, actions(again)], [0, ["PROCESSING_FAILED:already-replayed"]], again.stderr);
  assert.match(again.stderr, /1 selected, 0 sent/);
  await waitForRecords(results, 10, 60_000);

  // The rest still does not decode: replayed once, dead-lettered again, and then left alone.
  const rest = await dlq("replay", "--topic", letters);
  assert.deepEqual(actions(rest), [
    "PROCESSING_FAILED:already-replayed",
    "SERDE_MISSING_VALUE:sent",
    "SERDE_WRONG_LENGTH:sent",
    "SERDE_WRONG_LENGTH:sent",
  ]);
  await waitForRecords(letters, 7, 60_000);
  const repeated = await dlq("replay", "--topic", letters);
  assert.equal(repeated.code, 0, repeated.stderr);
  assert.equal(repeated.lines.filter((line) => line.action === "sent").length, 0, repeated.stderr);
  assert.equal(repeated.lines.filter((line) => line.action === "failed-replay").length, 3);
  assert.match(repeated.stderr, /7 selected, 0 sent and acknowledged, 4 already replayed, 3 failed replays/);
  const retry = await dlq("replay", "--topic", letters, "--retry-failed", "--dry-run");
  assert.equal(retry.lines.filter((line) => line.action === "would-send").length, 3);
  assert.equal(await recordCount(input), 13 + 4, "each dead letter replayed once");

  const page = await metricsOf(fixed);
  assert.equal(
    metricValue(page, "kafka_fleet_dead_letters_total"),
    3,
    "the replayed poison, dead-lettered again",
  );
  assert.equal(await stopGracefully(fixed), 0, fixed.stderr());
  const relisted = await dlq("list", "--topic", letters);
  assert.deepEqual(
    relisted.lines.map((line) => [line.code, line.originPartition, line.count, line.replays]).slice(1),
    [
      ["SERDE_MISSING_VALUE", 1, 2, 1],
      ["SERDE_WRONG_LENGTH", 0, 2, 1],
      ["SERDE_WRONG_LENGTH", 1, 2, 1],
    ],
    "each failed replay beside its first dead letter, from the same origin partition",
  );
  const { values } = await readTopicValues({ bootstrapServers: BOOTSTRAP, topic: results });
  const report = auditValues({ from: 0n, to: 10n }, values);
  assert.deepEqual([report.missing, report.duplicates], [0, 0], "7 arrived once, after the fix");
});
