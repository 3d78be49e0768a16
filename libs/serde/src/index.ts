export { SerdeError, SerdeErrorCode } from "./errors.ts";
export {
  INT64_BYTES,
  INT64_DECODE_FAILURES,
  INT64_MAX,
  INT64_MIN,
  Int64RunWriter,
  Int64Writer,
  deserializeInt,
  deserializeIntAt,
  serializeInt,
} from "./int64.ts";
export {
  JSON_DECODE_FAILURES,
  TEXT_DECODE_FAILURES,
  deserializeJson,
  deserializeText,
  serializeJson,
  serializeText,
} from "./text.ts";
