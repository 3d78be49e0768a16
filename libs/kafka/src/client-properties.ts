// The KAFKA_CLIENT_* variables: how a variable names a librdkafka property, and which properties (or values) a
// user may not set because kafka-fleet's delivery promises rest on them. Pure: the services read the variables.
import { clientPropertyProblems } from "./client-config.ts";

/** The prefix that turns an environment variable into a librdkafka property: KAFKA_CLIENT_SASL_MECHANISM -> sasl.mechanism. */
export const CLIENT_PROPERTY_PREFIX = "KAFKA_CLIENT_";

/** Whether a variable names a librdkafka property (KAFKA_CLIENT_*), read beside a service's own schema. */
export function isClientPropertyVariable(name: string): boolean {
  return name.startsWith(CLIENT_PROPERTY_PREFIX);
}

/**
 * Properties that kafka-fleet's promises rest on (acks=all and idempotence for "acknowledged means stored", manual
 * offset storing for "committed after processing", the group and bootstrap from their own variables): a
 * KAFKA_CLIENT_ variable may not change them.
 */
const RESERVED_CLIENT_PROPERTIES = new Set([
  "bootstrap.servers",
  "metadata.broker.list",
  "group.id",
  "acks",
  "request.required.acks",
  "enable.idempotence",
  "enable.auto.commit",
  "enable.auto.offset.store",
  "isolation.level",
  "transactional.id",
]);

/**
 * Properties a variable of kafka-fleet's own sets, with why the KAFKA_CLIENT_ form is refused. group.instance.id
 * would be the same for every replica given the same environment, and two live members with one id fence each
 * other out of the group in turn; GROUP_INSTANCE_ID is set per replica (the chart takes the pod's name).
 */
const CLIENT_PROPERTIES_WITH_THEIR_OWN_VARIABLE = new Map([
  [
    "group.instance.id",
    "every replica would get the same id and fence the others out of the group: set GROUP_INSTANCE_ID, one per replica (e.g. the pod's name)",
  ],
]);

/**
 * Properties that may be set, but only to values that keep a promise, with why the others are refused.
 * auto.offset.reset: a new group starting at the end would skip every record already in the topic.
 * partition.assignment.strategy: the consumers assign and revoke incrementally, which only cooperative-sticky
 * allows (range or roundrobin would make the first rebalance throw, and the member would never fetch).
 * group.protocol: GROUP_PROTOCOL picks it, and the settings that go with each protocol.
 */
const CLIENT_PROPERTY_VALUES_KEPT = new Map<string, { allowed: (value: string) => boolean; why: string }>([
  [
    "auto.offset.reset",
    {
      allowed: (value) => ["earliest", "smallest", "beginning"].includes(value.toLowerCase()),
      why: "only earliest: a new group starting elsewhere would skip the records already in the topic",
    },
  ],
  [
    "partition.assignment.strategy",
    {
      allowed: (value) => value.toLowerCase() === "cooperative-sticky",
      why: "only cooperative-sticky: the consumers assign and revoke partitions incrementally",
    },
  ],
  ["group.protocol", { allowed: () => false, why: "set GROUP_PROTOCOL (classic or consumer) instead" }],
]);

/** The property a KAFKA_CLIENT_ variable sets: the rest of its name, lower case, `_` read as `.`. */
export function clientPropertyName(variable: string): string {
  return variable.slice(CLIENT_PROPERTY_PREFIX.length).toLowerCase().replaceAll("_", ".");
}

/** The variable that sets a librdkafka property: sasl.mechanism -> KAFKA_CLIENT_SASL_MECHANISM. */
export function clientPropertyVariable(property: string): string {
  return `${CLIENT_PROPERTY_PREFIX}${property.toUpperCase().replaceAll(".", "_")}`;
}

/**
 * The librdkafka properties that KAFKA_CLIENT_* variables among `vars` set, each checked against the rules above;
 * a variable refused is a problem naming it, and sets nothing.
 */
export function clientPropertiesFromVariables(vars: Readonly<Record<string, unknown>>): {
  properties: Record<string, string>;
  problems: string[];
} {
  const properties: Record<string, string> = {};
  const problems: string[] = [];
  for (const [variable, value] of Object.entries(vars)) {
    // Empty means unset, as for every variable.
    if (!variable.startsWith(CLIENT_PROPERTY_PREFIX) || typeof value !== "string" || value.trim() === "")
      continue;
    const property = clientPropertyName(variable);
    if (property === "")
      problems.push(`${variable}: expected KAFKA_CLIENT_<PROPERTY>, e.g. KAFKA_CLIENT_SECURITY_PROTOCOL`);
    else if (CLIENT_PROPERTIES_WITH_THEIR_OWN_VARIABLE.has(property))
      problems.push(`${variable}: ${CLIENT_PROPERTIES_WITH_THEIR_OWN_VARIABLE.get(property)}`);
    else if (RESERVED_CLIENT_PROPERTIES.has(property))
      problems.push(
        `${variable}: ${property} is set by kafka-fleet itself (its delivery promises depend on it)`,
      );
    else if (CLIENT_PROPERTY_VALUES_KEPT.get(property)?.allowed(value.trim()) === false)
      problems.push(`${variable}="${value.trim()}": ${CLIENT_PROPERTY_VALUES_KEPT.get(property)?.why}`);
    else properties[property] = value.trim();
  }
  return { properties, problems };
}

/**
 * Reads the KAFKA_CLIENT_* variables among `vars` as the services do: the rules above, then librdkafka's own
 * verdict on each property (clientPropertyProblems). Every problem names its variable; `isSecret` keeps a
 * secret's value out of them.
 */
export function readClientProperties(
  vars: Readonly<Record<string, unknown>>,
  isSecret: (property: string) => boolean,
): { properties: Record<string, string>; problems: string[] } {
  const { properties, problems } = clientPropertiesFromVariables(vars);
  if (problems.length > 0) return { properties, problems };
  const refused = clientPropertyProblems(properties, isSecret).map(
    ({ property, message }) => `${clientPropertyVariable(property)}: ${message}`,
  );
  return { properties, problems: refused };
}
