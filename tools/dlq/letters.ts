// The dead-letter tool's pure part: a dead letter read from its headers, the selections of list and replay, the
// groups of list, and the record a replay sends. No I/O: main.ts reads and sends.
import type { Message, MessageHeader, OutgoingMessage } from "@kafka-fleet/kafka";
import { DeadLetterHeader } from "@kafka-fleet/worker";

/**
 * The header that marks a replayed record: `<dead-letter topic>/<partition>/<offset>` of the dead letter it replays.
 * A replay reads the target topic's markers first and sends no dead letter twice. Not a `dlq.*` name, on purpose:
 * the dead-letter writer drops `dlq.*` headers of a record it sets aside again, and this one must stay, so that a
 * dead letter tells that it is a failed replay.
 */
export const REPLAY_OF_HEADER = "kafka-fleet.replay-of";

const DEAD_LETTER_HEADER_PREFIX = "dlq.";

/** A dead letter as the tool sees it: where it is, where it came from, why. */
export interface DeadLetter {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly originTopic: string;
  readonly originPartition: number;
  readonly originOffset: number;
  readonly code: string;
  readonly errorMessage: string;
  /** dlq.failed.at, ms since the epoch (-1 when absent). */
  readonly failedAt: number;
  /** The value was left out of the dead letter (too large for its topic): nothing to replay. */
  readonly valueOmitted: boolean;
  /** The dead letter this record replayed, when a replay failed again (its own REPLAY_OF_HEADER). */
  readonly replayOf: string | undefined;
  readonly message: Message;
}

/** `<topic>/<partition>/<offset>`: a dead letter's identity, the value of a replayed record's REPLAY_OF_HEADER. */
export const positionOf = (letter: { topic: string; partition: number; offset: number }): string =>
  `${letter.topic}/${letter.partition}/${letter.offset}`;

/** The value of a header, as text (the last one of that name), or undefined. */
export function headerText(headers: readonly MessageHeader[] | undefined, name: string): string | undefined {
  let found: string | undefined;
  for (const header of headers ?? []) {
    const value = header[name];
    if (value !== undefined) found = Buffer.isBuffer(value) ? value.toString("utf8") : String(value);
  }
  return found;
}

function integerOr(text: string | undefined, fallback: number): number {
  return text !== undefined && /^-?\d+$/.test(text) ? Number(text) : fallback;
}

/** A record of a dead-letter topic read as a dead letter; one without dlq.* headers has code and origin "?" / -1. */
export function deadLetterOf(message: Message): DeadLetter {
  const headers = message.headers;
  const text = (name: string) => headerText(headers, name);
  return {
    topic: message.topic,
    partition: message.partition,
    offset: message.offset,
    originTopic: text(DeadLetterHeader.originalTopic) ?? "?",
    originPartition: integerOr(text(DeadLetterHeader.originalPartition), -1),
    originOffset: integerOr(text(DeadLetterHeader.originalOffset), -1),
    code: text(DeadLetterHeader.errorCode) ?? "?",
    errorMessage: text(DeadLetterHeader.errorMessage) ?? "",
    failedAt: integerOr(text(DeadLetterHeader.failedAt), -1),
    valueOmitted: text(DeadLetterHeader.valueOmitted) !== undefined,
    replayOf: text(REPLAY_OF_HEADER),
    message,
  };
}

/** Which dead letters a command takes; every field left out takes all. Ranges are inclusive. */
export interface Selection {
  readonly codes?: readonly string[];
  /** One origin topic's: a shared DLQ_TOPIC holds the dead letters of every topic a worker reads. */
  readonly originTopic?: string;
  readonly originPartition?: number;
  readonly fromOffset?: number;
  readonly toOffset?: number;
  /** dlq.failed.at bounds, ms since the epoch. */
  readonly since?: number;
  readonly until?: number;
}

export function isSelected(letter: DeadLetter, selection: Selection): boolean {
  if (selection.codes !== undefined && !selection.codes.includes(letter.code)) return false;
  if (selection.originTopic !== undefined && letter.originTopic !== selection.originTopic) return false;
  if (selection.originPartition !== undefined && letter.originPartition !== selection.originPartition)
    return false;
  if (selection.fromOffset !== undefined && letter.originOffset < selection.fromOffset) return false;
  if (selection.toOffset !== undefined && letter.originOffset > selection.toOffset) return false;
  if (selection.since !== undefined && letter.failedAt < selection.since) return false;
  if (selection.until !== undefined && letter.failedAt > selection.until) return false;
  return true;
}

/** A flag's value that was refused: main.ts prints it and exits 2. */
export class SelectionError extends Error {}

function offsetFlag(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text)))
    throw new SelectionError(`${name} must be an offset (an integer from 0), got ${JSON.stringify(text)}`);
  return Number(text);
}

function timeFlag(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isSafeInteger(ms) || (!/^\d+$/.test(text) && !/^\d{4}-\d{2}-\d{2}/.test(text)))
    throw new SelectionError(
      `${name} must be a time, ISO 8601 (2026-12-06T18:00:00Z) or ms since the epoch, got ${JSON.stringify(text)}`,
    );
  return ms;
}

/** The selection flags as typed, checked: a refused one throws SelectionError naming it. */
export function selectionOf(flags: {
  code?: string | undefined;
  "origin-topic"?: string | undefined;
  "origin-partition"?: string | undefined;
  "from-offset"?: string | undefined;
  "to-offset"?: string | undefined;
  since?: string | undefined;
  until?: string | undefined;
}): Selection {
  const codes = flags.code?.split(",").filter((code) => code !== "");
  if (codes?.length === 0) throw new SelectionError("--code must name at least one error code");
  const originTopic = flags["origin-topic"];
  if (originTopic === "") throw new SelectionError("--origin-topic must name a topic");
  const selection: Selection = {
    ...(codes === undefined ? {} : { codes }),
    ...(originTopic === undefined ? {} : { originTopic }),
    ...optional("originPartition", offsetFlag("--origin-partition", flags["origin-partition"])),
    ...optional("fromOffset", offsetFlag("--from-offset", flags["from-offset"])),
    ...optional("toOffset", offsetFlag("--to-offset", flags["to-offset"])),
    ...optional("since", timeFlag("--since", flags.since)),
    ...optional("until", timeFlag("--until", flags.until)),
  };
  if (
    selection.fromOffset !== undefined &&
    selection.toOffset !== undefined &&
    selection.fromOffset > selection.toOffset
  )
    throw new SelectionError(
      `--from-offset ${selection.fromOffset} is after --to-offset ${selection.toOffset}: the range is inclusive, from ≤ to`,
    );
  if (selection.since !== undefined && selection.until !== undefined && selection.since > selection.until)
    throw new SelectionError("--since is after --until");
  return selection;
}

function optional<K extends string>(key: K, value: number | undefined): Partial<Record<K, number>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, number>);
}

/** One line of `list`: the dead letters of one error code from one origin partition. */
export interface LetterGroup {
  code: string;
  originTopic: string;
  originPartition: number;
  count: number;
  /** Of them, failed replays (they carry REPLAY_OF_HEADER). */
  replays: number;
  firstOriginOffset: number;
  lastOriginOffset: number;
  firstFailedAt: string | null;
  lastFailedAt: string | null;
}

const isoOrNull = (ms: number): string | null => (ms < 0 ? null : new Date(ms).toISOString());

/** The dead letters grouped by code, origin topic and origin partition, in that order. */
export function groupLetters(letters: Iterable<DeadLetter>): LetterGroup[] {
  const groups = new Map<string, { group: LetterGroup; first: number; last: number }>();
  for (const letter of letters) {
    const key = JSON.stringify([letter.code, letter.originTopic, letter.originPartition]);
    let entry = groups.get(key);
    if (entry === undefined) {
      entry = {
        group: {
          code: letter.code,
          originTopic: letter.originTopic,
          originPartition: letter.originPartition,
          count: 0,
          replays: 0,
          firstOriginOffset: letter.originOffset,
          lastOriginOffset: letter.originOffset,
          firstFailedAt: null,
          lastFailedAt: null,
        },
        first: Number.POSITIVE_INFINITY,
        last: -1,
      };
      groups.set(key, entry);
    }
    const { group } = entry;
    group.count += 1;
    if (letter.replayOf !== undefined) group.replays += 1;
    group.firstOriginOffset = Math.min(group.firstOriginOffset, letter.originOffset);
    group.lastOriginOffset = Math.max(group.lastOriginOffset, letter.originOffset);
    if (letter.failedAt >= 0) {
      entry.first = Math.min(entry.first, letter.failedAt);
      entry.last = Math.max(entry.last, letter.failedAt);
    }
  }
  return [...groups.values()]
    .map(({ group, first, last }) => ({
      ...group,
      firstFailedAt: Number.isFinite(first) ? isoOrNull(first) : null,
      lastFailedAt: isoOrNull(last),
    }))
    .sort(
      (a, b) =>
        compare(a.code, b.code) ||
        compare(a.originTopic, b.originTopic) ||
        a.originPartition - b.originPartition,
    );
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The record a replay sends for a dead letter: its key and value, its own headers (the dlq.* ones and an earlier
 * replay's marker left out), and the marker naming this dead letter. To the origin topic it goes to the origin
 * partition (a record without a key would otherwise land anywhere); to another topic, where the key's partitioner
 * puts it.
 */
export function replayOf(letter: DeadLetter, to: string): OutgoingMessage {
  const own = (letter.message.headers ?? []).filter(
    (header) =>
      !Object.keys(header).some(
        (name) => name.startsWith(DEAD_LETTER_HEADER_PREFIX) || name === REPLAY_OF_HEADER,
      ),
  );
  const key = letter.message.key;
  return {
    topic: to,
    key: key === undefined || key === null ? null : Buffer.from(key),
    value: letter.message.value ?? null,
    headers: [...own, { [REPLAY_OF_HEADER]: positionOf(letter) }],
    ...(to === letter.originTopic && letter.originPartition >= 0
      ? { partition: letter.originPartition }
      : {}),
  };
}

/** What a replay does with one selected dead letter. */
export type ReplayAction = "send" | "already-replayed" | "value-omitted" | "failed-replay";

/**
 * The plan of a replay: each selected dead letter, and whether it goes (`replayed`: the target's markers). Each
 * dead letter goes at most once. A failed replay (a dead letter of a replayed record) is left alone unless
 * `retryFailed`: it is the same record again, and replaying it by default would make every later replay send the
 * records that still fail once more, a loop.
 */
export function planReplay(
  letters: readonly DeadLetter[],
  replayed: ReadonlySet<string>,
  retryFailed = false,
): Array<{ letter: DeadLetter; action: ReplayAction }> {
  return letters.map((letter) => ({
    letter,
    action: letter.valueOmitted
      ? "value-omitted"
      : replayed.has(positionOf(letter))
        ? "already-replayed"
        : letter.replayOf !== undefined && !retryFailed
          ? "failed-replay"
          : "send",
  }));
}

/** A value for people: UTF-8 text when it is that, else null; and base64 and hex, always. */
export function bytesView(
  bytes: Buffer | null | undefined,
): { text: string | null; base64: string; hex: string } | null {
  if (bytes === null || bytes === undefined) return null;
  let text: string | null;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    text = null;
  }
  return { text, base64: bytes.toString("base64"), hex: bytes.toString("hex") };
}

/** Every header of a record, in order, each as [name, text]. */
export function headerList(headers: readonly MessageHeader[] | undefined): Array<[string, string]> {
  return (headers ?? []).flatMap((header) =>
    Object.entries(header).map(([name, value]): [string, string] => [
      name,
      Buffer.isBuffer(value) ? value.toString("utf8") : String(value),
    ]),
  );
}
