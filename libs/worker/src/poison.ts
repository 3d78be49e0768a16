import type { ConsumerMetrics, Logger } from "@kafka-fleet/service";

import type { PoisonRecord } from "./record.ts";

/**
 * Sets a poison record aside: logged with where it came from and why, counted by reason, and skipped. Its offset
 * is committed with the others, so the partition keeps moving. (The dead-letter topic will take it from here.)
 */
export function reportPoison(poison: PoisonRecord, logger: Logger, metrics: ConsumerMetrics): void {
  metrics.deadLetters.inc({ reason: poison.error.code });
  logger.warn(
    {
      event: "record.poison",
      topic: poison.topic,
      partition: poison.partition,
      offset: poison.offset,
      timestamp: poison.timestamp,
      code: poison.error.code,
      valueBytes: poison.message.value?.length ?? null,
    },
    `skipped an unreadable record: ${poison.error.message}`,
  );
}
