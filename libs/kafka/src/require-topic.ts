import type { FleetAdmin } from "./admin.ts";
import { TopicMissingError } from "./errors.ts";

/**
 * Fails fast when a topic a service needs does not exist. Topics are created by the init step, never by a
 * broker's auto-create (which is off): a typo must not look like an idle consumer. `label` says how the caller
 * knows the topic (e.g. "KAFKA_TOPIC", the setting that named it) and is shown beside its name; what to do
 * about a missing topic is for the caller to say (libs/service adds it to the exit message by error code).
 * Returns what the topic is: its partitions and replication factor.
 */
export async function requireTopic(
  admin: FleetAdmin,
  topic: string,
  label?: string,
): Promise<{ partitions: number; replicationFactor: number }> {
  const description = await admin.describeTopic(topic);
  if (description !== undefined) return description;
  throw new TopicMissingError(topic, label);
}
