import { SerdeError, SerdeErrorCode } from "./errors.ts";

/** UTF-8 text and JSON documents as record values: what workers of one's own and the records tool speak. */

// fatal: bytes that are not UTF-8 are refused rather than turned into U+FFFD without a word.
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export function serializeText(text: string): Buffer {
  return Buffer.from(text, "utf8");
}

/** Reads UTF-8 text; no value (null) or bytes that are not UTF-8 are a SerdeError. */
export function deserializeText(bytes: Uint8Array | null | undefined): string {
  if (bytes === null || bytes === undefined) {
    throw new SerdeError(SerdeErrorCode.missingValue, "expected UTF-8 text, got no value (null)");
  }
  try {
    return utf8.decode(bytes);
  } catch {
    throw new SerdeError(
      SerdeErrorCode.notUtf8,
      `expected UTF-8 text, got ${bytes.length} bytes that are not`,
    );
  }
}

/** A JSON document as UTF-8 bytes; a value JSON cannot write (undefined, a function, a bigint) is a SerdeError. */
export function serializeJson(value: unknown): Buffer {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw new SerdeError(SerdeErrorCode.notJson, `no JSON form: ${(error as Error).message}`);
  }
  if (text === undefined) throw new SerdeError(SerdeErrorCode.notJson, `no JSON form for ${typeof value}`);
  return serializeText(text);
}

/** Reads one JSON document from UTF-8 bytes; anything else is a SerdeError. */
export function deserializeJson(bytes: Uint8Array | null | undefined): unknown {
  const text = deserializeText(bytes);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new SerdeError(SerdeErrorCode.notJson, `not a JSON document: ${(error as Error).message}`);
  }
}

/** The codes `deserializeText` throws. */
export const TEXT_DECODE_FAILURES: readonly SerdeErrorCode[] = [
  SerdeErrorCode.missingValue,
  SerdeErrorCode.notUtf8,
];
/** The codes `deserializeJson` throws. */
export const JSON_DECODE_FAILURES: readonly SerdeErrorCode[] = [
  ...TEXT_DECODE_FAILURES,
  SerdeErrorCode.notJson,
];
