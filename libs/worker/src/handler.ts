import type { DeliveryProducer } from "@kafka-fleet/kafka";
import type { ServiceContext } from "@kafka-fleet/service";
import { serializeInt } from "@kafka-fleet/serde";

import type { ConsumerConfig } from "./config.ts";
import type { ValueRecord } from "./record.ts";

/**
 * What a service does with records: the one function to replace when this fleet is used as a template.
 * It resolves when the records are fully processed (their effects durable); it rejects to have them retried.
 */
export type RecordHandler = (records: readonly ValueRecord[]) => Promise<void>;

/**
 * The default handler. With a results topic it publishes one record per value (key and value = the int64) and
 * resolves once the cluster acknowledged all of them, which makes the pipeline auditable end to end; without
 * one, processing is counting (done by the caller's metrics).
 */
export function createDefaultHandler(
  results: { producer: DeliveryProducer; topic: string } | undefined,
): RecordHandler {
  if (results === undefined) return () => Promise.resolve();
  const { producer, topic } = results;
  return (records) =>
    producer.sendAll(
      records.map((record) => {
        const bytes = serializeInt(record.value);
        return { topic, key: bytes, value: bytes };
      }),
    );
}

/** How a consumer service can be adapted without copying it: wrap (or replace) the handler it would use. */
export interface ConsumerServiceOptions {
  readonly wrapHandler?: (
    defaultHandler: RecordHandler,
    context: ServiceContext<ConsumerConfig>,
  ) => RecordHandler;
}
