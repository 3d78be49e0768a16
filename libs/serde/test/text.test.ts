import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  JSON_DECODE_FAILURES,
  SerdeError,
  SerdeErrorCode,
  TEXT_DECODE_FAILURES,
  deserializeJson,
  deserializeText,
  serializeJson,
  serializeText,
} from "@kafka-fleet/serde";

function expectSerdeError(fn: () => unknown, code: SerdeErrorCode): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof SerdeError, `expected a SerdeError, got ${String(error)}`);
    assert.equal(error.code, code);
    return true;
  });
}

describe("text values", () => {
  it("are UTF-8 bytes", () => {
    assert.equal(serializeText("zwölf €").toString("hex"), "7a77c3b66c6620e282ac");
    assert.equal(deserializeText(Buffer.from("7a77c3b66c6620e282ac", "hex")), "zwölf €");
    assert.equal(deserializeText(new Uint8Array()), "");
  });

  it("refuses no value and bytes that are not UTF-8, with the codes it lists", () => {
    expectSerdeError(() => deserializeText(null), SerdeErrorCode.missingValue);
    expectSerdeError(() => deserializeText(Buffer.from([0x7a, 0xc3])), SerdeErrorCode.notUtf8);
    assert.deepEqual(TEXT_DECODE_FAILURES, [SerdeErrorCode.missingValue, SerdeErrorCode.notUtf8]);
  });
});

describe("JSON values", () => {
  it("are one JSON document in UTF-8", () => {
    assert.equal(serializeJson({ id: "o-1", n: [1, 2] }).toString("utf8"), '{"id":"o-1","n":[1,2]}');
    assert.deepEqual(deserializeJson(Buffer.from(' {"total": 7.5} ')), { total: 7.5 });
    assert.equal(deserializeJson(Buffer.from('"text"')), "text");
  });

  it("refuses what JSON cannot write", () => {
    expectSerdeError(() => serializeJson(undefined), SerdeErrorCode.notJson);
    expectSerdeError(() => serializeJson({ big: 1n }), SerdeErrorCode.notJson);
  });

  it("refuses bytes that are no JSON document, with the codes it lists", () => {
    expectSerdeError(() => deserializeJson(Buffer.from('{"id": "o-')), SerdeErrorCode.notJson);
    expectSerdeError(() => deserializeJson(Buffer.from("")), SerdeErrorCode.notJson);
    expectSerdeError(() => deserializeJson(null), SerdeErrorCode.missingValue);
    expectSerdeError(() => deserializeJson(Buffer.from([0xff])), SerdeErrorCode.notUtf8);
    assert.deepEqual(JSON_DECODE_FAILURES, [...TEXT_DECODE_FAILURES, SerdeErrorCode.notJson]);
  });
});
