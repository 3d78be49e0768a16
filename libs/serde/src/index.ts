export {
  INT64_BYTES,
  INT64_MAX,
  INT64_MIN,
  Int64Writer,
  SerdeError,
  SerdeErrorCode,
  deserializeInt,
  serializeInt,
} from "./int64.ts";
