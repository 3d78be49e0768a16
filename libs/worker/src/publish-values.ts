import { serializeInt } from "@kafka-fleet/serde";

import type { WorkerContext } from "./handler.ts";
import type { WorkerRecord } from "./record.ts";
import { resultsTopicOf } from "./topic-routes.ts";

/**
 * The fleet's own handler, for int64 values. With a results topic it publishes one record per value (key and
 * value = the int64) and resolves once the cluster acknowledged all of them, which makes the pipeline auditable
 * end to end; without one, processing is counting (done by the worker's metrics).
 */
export async function publishValues(
  records: readonly WorkerRecord<bigint>[],
  { producer, config }: WorkerContext,
): Promise<void> {
  if (config.resultsTopic === undefined) return;
  await producer.sendAll(
    records.map((record) => {
      const bytes = serializeInt(record.value);
      return { topic: resultsTopicOf(config, record.topic)!, key: bytes, value: bytes };
    }),
  );
}
