import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { InputLineError, recordLine, recordsFromLines } from "../lines.ts";

const texts = (records: ReturnType<typeof recordsFromLines>) =>
  records.map(({ key, value }) => [key?.toString("utf8") ?? null, value.toString("utf8")]);

describe("recordsFromLines", () => {
  it("json: one compact document a line, blank lines skipped, keyed by a field when asked", () => {
    const input = '{"id": "o-1", "quantity": 2}\n\n  {"id": 7}\r\n';
    assert.deepEqual(texts(recordsFromLines(input, "json")), [
      [null, '{"id":"o-1","quantity":2}'],
      [null, '{"id":7}'],
    ]);
    assert.deepEqual(
      texts(recordsFromLines(input, "json", "id")).map(([key]) => key),
      ["o-1", "7"],
    );
  });

  it("text: each line as it is, without its line ending", () => {
    assert.deepEqual(texts(recordsFromLines("the quick\r\nbrown  fox \n", "text")), [
      [null, "the quick"],
      [null, "brown  fox "],
    ]);
  });

  it("refuses the whole input at its first bad line, naming it", () => {
    assert.throws(
      () => recordsFromLines('{"id": 1}\n{"id": \n', "json"),
      (error: unknown) =>
        error instanceof InputLineError && /^line 2: not a JSON document/.test(error.message),
    );
    assert.throws(
      () => recordsFromLines('{"id": 1}\n{"name": "x"}\n', "json", "id"),
      /^InputLineError: line 2: no string or number field "id" for the key/,
    );
    assert.throws(() => recordsFromLines('["id"]\n', "json", "id"), /line 1: no string or number field/);
    assert.throws(() => recordsFromLines("a\n", "text", "id"), /--key-field .* --format json/);
  });
});

describe("recordLine", () => {
  const at = { topic: "orders.results", partition: 2, offset: 41, timestamp: 1_700_000_000_000 };

  it("shows the key and headers as text and the value decoded", () => {
    const line = recordLine(
      {
        ...at,
        key: Buffer.from("o-1"),
        value: Buffer.from('{"id":"o-1","total":6}'),
        headers: [{ "dlq.error.code": Buffer.from("INVALID_ORDER") }],
      },
      "json",
    );
    assert.deepEqual(JSON.parse(line), {
      ...at,
      key: "o-1",
      headers: { "dlq.error.code": "INVALID_ORDER" },
      value: { id: "o-1", total: 6 },
    });
    assert.deepEqual(JSON.parse(recordLine({ ...at, value: Buffer.from("fox") }, "text")), {
      ...at,
      key: null,
      value: "fox",
    });
  });

  it("shows a value that does not decode as text, and why", () => {
    const line = JSON.parse(recordLine({ ...at, value: Buffer.from('{"id": "o-') }, "json")) as Record<
      string,
      unknown
    >;
    assert.equal(line.value, '{"id": "o-');
    assert.match(String(line.error), /^SERDE_NOT_JSON: /);
    assert.match(recordLine({ ...at, value: null }, "json"), /"value":null\}$/);
  });
});
