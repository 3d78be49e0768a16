export const SerdeErrorCode = {
  notAnInteger: "SERDE_NOT_AN_INTEGER",
  outOfRange: "SERDE_OUT_OF_RANGE",
  missingValue: "SERDE_MISSING_VALUE",
  wrongLength: "SERDE_WRONG_LENGTH",
  notUtf8: "SERDE_NOT_UTF8",
  notJson: "SERDE_NOT_JSON",
} as const;
export type SerdeErrorCode = (typeof SerdeErrorCode)[keyof typeof SerdeErrorCode];

/** A value that cannot become 8 bytes, or bytes that are not a value. `code` is stable; the message is for humans. */
export class SerdeError extends Error {
  override readonly name = "SerdeError";
  readonly code: SerdeErrorCode;

  constructor(code: SerdeErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}
