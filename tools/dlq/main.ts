// npm run dlq -- list|show|replay --topic <dead-letter topic> … (make dlq DLQ_ARGS="…"): look at dead letters, and
// send a selection of them back, once. list: the dead letters grouped by error code and origin partition (--each:
// one line each); show: one dead letter, its value and every header; replay: the selected ones to their origin
// topic (or --to), each marked with its dead letter's position so that a second replay sends none of them again;
// --dry-run prints the plan and sends nothing. JSON lines on stdout, a summary on stderr. Exit 2 on bad arguments
// or a topic that does not exist (nothing sent), 1 when the cluster fails.
import { parseArgs } from "node:util";

import { forEachRecord, toolKafkaSettings } from "@kafka-fleet/audit";
import { DeliveryProducer, FleetAdmin, kafkaFailureHints, type ClientIdentity } from "@kafka-fleet/kafka";
import { createLogger, describeFailure, isSecret, messageOf } from "@kafka-fleet/service";

import {
  REPLAY_OF_HEADER,
  SelectionError,
  bytesView,
  deadLetterOf,
  groupLetters,
  headerList,
  headerText,
  isSelected,
  planReplay,
  positionOf,
  replayOf,
  selectionOf,
  type DeadLetter,
  type Selection,
} from "./letters.ts";

const USAGE =
  "usage: dlq list|show|replay --topic <dead-letter topic> [--each] [--partition P --offset O] [--code C,...] " +
  "[--origin-topic T] [--origin-partition P] [--from-offset A] [--to-offset B] [--since T] [--until T] [--to <topic>] [--dry-run] " +
  "[--retry-failed] " +
  "[--bootstrap host:port,...]";
const CONNECT_TIMEOUT_MS = 15_000;

/** Bad input: one line on stderr, exit 2, nothing sent. */
function fail(message: string, usage = false): never {
  // parseArgs's messages run over several lines: one line, so that a script can show it whole.
  const line = message.replace(/\s*\n\s*/g, " ");
  process.stderr.write(`dlq: ${line}${usage ? `; ${USAGE}` : ""}\n`);
  process.exit(2);
}

const kafka = toolKafkaSettings("dlq", process.env, isSecret);
const { properties } = kafka;

let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: {
      topic: { type: "string" },
      each: { type: "boolean", default: false },
      partition: { type: "string" },
      offset: { type: "string" },
      code: { type: "string" },
      "origin-topic": { type: "string" },
      "origin-partition": { type: "string" },
      "from-offset": { type: "string" },
      "to-offset": { type: "string" },
      since: { type: "string" },
      until: { type: "string" },
      to: { type: "string" },
      "dry-run": { type: "boolean", default: false },
      "retry-failed": { type: "boolean", default: false },
      bootstrap: { type: "string", default: kafka.bootstrap },
    },
  });
} catch (error) {
  fail(messageOf(error), true);
}
const [verb, ...extra] = parsed.positionals;
const flags = parsed.values;
if (verb !== "list" && verb !== "show" && verb !== "replay")
  fail(`the first argument must be list, show or replay, got ${verb ?? "nothing"}`, true);
if (extra.length > 0) fail(`unexpected argument ${extra[0]}`);
const topic = flags.topic;
if (topic === undefined || topic === "") fail("--topic (the dead-letter topic) is required");
const onlyFor = (flag: string, verbs: readonly string[], given: boolean) => {
  if (given && !verbs.includes(verb)) fail(`${flag} is for ${verbs.join(" and ")}`);
};
onlyFor("--each", ["list"], flags.each);
onlyFor("--partition", ["show"], flags.partition !== undefined);
onlyFor("--offset", ["show"], flags.offset !== undefined);
onlyFor("--to", ["replay"], flags.to !== undefined);
onlyFor("--dry-run", ["replay"], flags["dry-run"]);
onlyFor("--retry-failed", ["replay"], flags["retry-failed"]);
const selectionGiven = [
  "code",
  "origin-topic",
  "origin-partition",
  "from-offset",
  "to-offset",
  "since",
  "until",
].some((name) => flags[name as keyof typeof flags] !== undefined);
onlyFor("a selection flag", ["list", "replay"], selectionGiven);
let selection: Selection;
let position: { partition: number; offset: number } | undefined;
try {
  selection = selectionOf(flags);
  if (verb === "show") {
    const [partition, offset] = [flags.partition, flags.offset].map((text, index) => {
      const name = index === 0 ? "--partition" : "--offset";
      if (text === undefined) throw new SelectionError(`show needs ${name}`);
      if (!/^\d+$/.test(text))
        throw new SelectionError(`${name} must be an integer from 0, got ${JSON.stringify(text)}`);
      return Number(text);
    }) as [number, number];
    position = { partition, offset };
  }
} catch (error) {
  if (error instanceof SelectionError) fail(error.message);
  throw error;
}
if (flags.to === "") fail("--to must name a topic");

const identity: ClientIdentity = {
  bootstrapServers: flags.bootstrap.split(","),
  service: "dlq",
  properties,
};

try {
  await requireTopics([topic, ...(flags.to === undefined ? [] : [flags.to])], position);
  if (verb === "list") await list(topic, selection, flags.each);
  else if (verb === "show") await show(topic, position as { partition: number; offset: number });
  else
    await replay(topic, selection, {
      to: flags.to,
      dryRun: flags["dry-run"],
      retryFailed: flags["retry-failed"],
    });
} catch (error) {
  if (error instanceof SelectionError) fail(error.message);
  process.stderr.write(`dlq: ${verb} ${topic}: ${describeFailure(error, kafkaFailureHints).message}\n`);
  process.exitCode = 1;
}

/** Named topics that do not exist, and a --partition beyond the dead-letter topic's, are bad arguments (exit 2). */
async function requireTopics(
  topics: readonly string[],
  at: { partition: number } | undefined,
): Promise<void> {
  const admin = new FleetAdmin(identity, CONNECT_TIMEOUT_MS);
  try {
    for (const [index, name] of topics.entries()) {
      const description = await admin.describeTopic(name);
      const flag = index === 0 ? "--topic" : "--to";
      if (description === undefined) throw new SelectionError(`topic ${name} (${flag}) does not exist`);
      if (index === 0 && at !== undefined && at.partition >= description.partitions)
        throw new SelectionError(
          `--partition ${at.partition}: ${name} has partitions 0 to ${description.partitions - 1}`,
        );
    }
  } finally {
    admin.close();
  }
}

async function readLetters(dlq: string): Promise<DeadLetter[]> {
  const letters: DeadLetter[] = [];
  await forEachRecord(
    {
      bootstrapServers: identity.bootstrapServers,
      topic: dlq,
      properties,
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
    },
    (message) => letters.push(deadLetterOf(message)),
  );
  // forEachRecord interleaves partitions; each partition in offset order reads best.
  return letters.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}

function brief(letter: DeadLetter) {
  return {
    dlq: positionOf(letter),
    code: letter.code,
    origin: `${letter.originTopic}/${letter.originPartition}/${letter.originOffset}`,
    failedAt: letter.failedAt < 0 ? null : new Date(letter.failedAt).toISOString(),
    error: letter.errorMessage,
    ...(letter.replayOf === undefined ? {} : { replayOf: letter.replayOf }),
  };
}

async function list(dlq: string, selection: Selection, each: boolean): Promise<void> {
  const letters = (await readLetters(dlq)).filter((letter) => isSelected(letter, selection));
  const lines = each ? letters.map(brief) : groupLetters(letters);
  for (const line of lines) process.stdout.write(`${JSON.stringify(line)}\n`);
  process.stderr.write(`dlq: ${letters.length} dead letters selected in ${dlq}\n`);
}

async function show(dlq: string, at: { partition: number; offset: number }): Promise<void> {
  const letter = (await readLetters(dlq)).find(
    (candidate) => candidate.partition === at.partition && candidate.offset === at.offset,
  );
  if (letter === undefined)
    throw new SelectionError(
      `no record at ${dlq}/${at.partition}/${at.offset} (list --each gives the positions)`,
    );
  const { message } = letter;
  const line = {
    ...brief(letter),
    timestamp: message.timestamp ?? null,
    key: bytesView(message.key === undefined || message.key === null ? null : Buffer.from(message.key)),
    value: bytesView(message.value),
    headers: headerList(message.headers),
  };
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

/** Positions of the dead letters already replayed to `target`: its records' REPLAY_OF_HEADER values. */
async function replayMarkers(target: string): Promise<Set<string>> {
  const markers = new Set<string>();
  await forEachRecord(
    {
      bootstrapServers: identity.bootstrapServers,
      topic: target,
      properties,
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
      // A replay is not transactional: its records are seen as soon as they are acknowledged.
      isolation: "read_uncommitted",
    },
    (message) => {
      const marker = headerText(message.headers, REPLAY_OF_HEADER);
      if (marker !== undefined) markers.add(marker);
    },
  );
  return markers;
}

async function replay(
  dlq: string,
  selection: Selection,
  { to, dryRun, retryFailed }: { to: string | undefined; dryRun: boolean; retryFailed: boolean },
): Promise<void> {
  const letters = (await readLetters(dlq)).filter((letter) => isSelected(letter, selection));
  const targets = [...new Set(letters.map((letter) => to ?? letter.originTopic))];
  const markers = new Map<string, Set<string>>();
  for (const target of targets) {
    if (to === undefined && target === "?")
      throw new SelectionError(
        `a selected record of ${dlq} has no ${"dlq.original.topic"} header: give --to`,
      );
    if (to === undefined) await requireTopics([target], undefined).catch(rethrowAsOrigin(target));
    markers.set(target, await replayMarkers(target));
  }
  const plan = letters.map((letter) => {
    const target = to ?? letter.originTopic;
    const [step] = planReplay([letter], markers.get(target) ?? new Set(), retryFailed);
    return { ...(step as NonNullable<typeof step>), target };
  });
  const sending = plan.filter((step) => step.action === "send");
  if (!dryRun && sending.length > 0) {
    const producer = await DeliveryProducer.connect({
      identity,
      logger: createLogger({ service: "dlq", level: "warn", pretty: false }),
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
    });
    try {
      await producer.sendAll(sending.map((step) => replayOf(step.letter, step.target)));
    } finally {
      await producer.close(5_000);
    }
  }
  for (const step of plan) {
    const action = step.action === "send" ? (dryRun ? "would-send" : "sent") : step.action;
    process.stdout.write(`${JSON.stringify({ ...brief(step.letter), to: step.target, action })}\n`);
  }
  const skipped = (action: string) => plan.filter((step) => step.action === action).length;
  process.stderr.write(
    `dlq: replay of ${dlq}: ${plan.length} selected, ${sending.length} ` +
      (dryRun ? "would be sent (dry run: nothing sent)" : "sent and acknowledged") +
      `, ${skipped("already-replayed")} already replayed, ${skipped("failed-replay")} failed replays left alone ` +
      `(--retry-failed sends them), ${skipped("value-omitted")} without their value (not replayable)\n`,
  );
}

function rethrowAsOrigin(target: string): (error: unknown) => never {
  return (error) => {
    if (error instanceof SelectionError)
      throw new SelectionError(`the origin topic ${target} does not exist: give --to`);
    throw error;
  };
}
