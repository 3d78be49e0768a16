import { FleetError } from "@kafka-fleet/service";

import type { FleetAdmin } from "./admin.ts";
import { KafkaErrorCode } from "./errors.ts";

/**
 * Fails fast, with what to do, when a topic a service needs does not exist. Topics are created by the init
 * step, never by a broker's auto-create (which is off): a typo must not look like an idle consumer.
 */
export async function requireTopic(admin: FleetAdmin, topic: string, variable: string): Promise<void> {
  if ((await admin.describeTopic(topic)) !== undefined) return;
  throw new FleetError(
    KafkaErrorCode.topicMissing,
    `topic ${topic} (${variable}) does not exist: create it first ` +
      `(make cluster-up creates topic_app; deploy/local/cluster.sh topic ${topic} creates others)`,
  );
}
