// What the records tool reads and prints, apart from Kafka: lines of input become record keys and values (through
// libs/serde, where values become bytes), and a consumed record becomes one JSON line. Pure, unit-tested.
import {
  SerdeError,
  deserializeJson,
  deserializeText,
  serializeJson,
  serializeText,
} from "@kafka-fleet/serde";

export const FORMATS = ["json", "text"] as const;
export type Format = (typeof FORMATS)[number];

export interface RecordToSend {
  readonly key: Buffer | null;
  readonly value: Buffer;
}

/** A line of input that cannot become a record: nothing is sent, and the message names the line. */
export class InputLineError extends Error {
  override readonly name = "InputLineError";
}

/**
 * One record per non-blank line of `input`. json: each line one JSON document, written compactly; with
 * `keyField`, the key is that field of the line's object (a string or a number). text: the line itself, no key.
 * All lines are checked before anything is sent, so a bad line loses nothing and sends nothing.
 */
export function recordsFromLines(input: string, format: Format, keyField?: string): RecordToSend[] {
  if (keyField !== undefined && format !== "json") {
    throw new InputLineError("--key-field takes a field of a JSON object: use it with --format json");
  }
  const records: RecordToSend[] = [];
  for (const [index, line] of input.split("\n").entries()) {
    const text = line.endsWith("\r") ? line.slice(0, -1) : line;
    if (text.trim() === "") continue;
    if (format === "text") {
      records.push({ key: null, value: serializeText(text) });
      continue;
    }
    const value = parseLine(text, index + 1);
    records.push({
      key: keyField === undefined ? null : keyOf(value, keyField, index + 1),
      value: serializeJson(value),
    });
  }
  return records;
}

function parseLine(text: string, lineNumber: number): unknown {
  try {
    return deserializeJson(serializeText(text));
  } catch (error) {
    if (!(error instanceof SerdeError)) throw error;
    throw new InputLineError(
      `line ${lineNumber}: ${error.message} (--format json takes one JSON document a line)`,
    );
  }
}

function keyOf(value: unknown, field: string, lineNumber: number): Buffer {
  const key =
    typeof value === "object" && value !== null ? (value as Record<string, unknown>)[field] : undefined;
  if (typeof key !== "string" && typeof key !== "number") {
    throw new InputLineError(
      `line ${lineNumber}: no string or number field "${field}" for the key (--key-field)`,
    );
  }
  return serializeText(String(key));
}

/** A consumed record as the tool sees it: what librdkafka's Message carries. */
export interface ReadRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp?: number | undefined;
  readonly key?: Buffer | string | null | undefined;
  readonly value: Buffer | null;
  readonly headers?: ReadonlyArray<Record<string, Buffer | string>> | undefined;
}

/**
 * One JSON line per record: where it is, its key and headers as text, and its value decoded as `format` says.
 * A value that does not decode (a dead letter's garbled original, say) is shown as text, with `error` saying why.
 */
export function recordLine(record: ReadRecord, format: Format): string {
  const decoded = decodeValue(record.value, format);
  const headers: Record<string, string> = {};
  for (const header of record.headers ?? []) {
    for (const [name, value] of Object.entries(header)) headers[name] = String(value);
  }
  return JSON.stringify({
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    timestamp: record.timestamp,
    key: record.key === null || record.key === undefined ? null : String(record.key),
    ...(Object.keys(headers).length > 0 ? { headers } : {}),
    ...decoded,
  });
}

function decodeValue(value: Buffer | null, format: Format): { value: unknown; error?: string } {
  if (value === null) return { value: null };
  try {
    return { value: format === "json" ? deserializeJson(value) : deserializeText(value) };
  } catch (error) {
    if (!(error instanceof SerdeError)) throw error;
    return { value: value.toString("utf8"), error: `${error.code}: ${error.message}` };
  }
}
