import { hostname } from "node:os";

import { messageOf } from "./errors.ts";
import { OAuthBearerRefresh, type OAuthBearerOptions } from "./oauthbearer.ts";
import type { OAuthBearerTokenProvider } from "./oauthbearer-token.ts";
import { Producer } from "./rdkafka.ts";
import { DEFAULT_LINGER_MS } from "./tunables.ts";

/** What every client of a service shares. */
export interface ClientIdentity {
  readonly bootstrapServers: readonly string[];
  /** The role, e.g. "batch-consumer"; the client id adds host and pid so brokers can tell replicas apart. */
  readonly service: string;
  /**
   * Any further librdkafka properties (security.protocol, sasl.*, ssl.*, tuning), applied to every client after
   * kafka-fleet's own settings. Callers keep out the properties the delivery promises rest on (acks, ...).
   */
  readonly properties?: Readonly<Record<string, string>>;
  /** SASL/OAUTHBEARER with the token from a function: every client asks it for its own token (withTokenProvider). */
  readonly oauthBearer?: OAuthBearerRefresh;
}

/**
 * `identity` with its clients taking their OAUTHBEARER token from `provider` (unchanged without one). The client
 * properties must allow it: check them with oauthBearerPropertyProblems when the configuration is read.
 */
export function withTokenProvider(
  identity: ClientIdentity,
  provider: OAuthBearerTokenProvider | undefined,
  reporting: Omit<OAuthBearerOptions, "provider">,
): ClientIdentity {
  return provider === undefined
    ? identity
    : { ...identity, oauthBearer: new OAuthBearerRefresh({ provider, ...reporting }) };
}

export function clientId(identity: ClientIdentity, purpose?: string): string {
  return [`kafka-fleet-${identity.service}`, purpose, hostname(), process.pid].filter(Boolean).join("-");
}

/** librdkafka settings shared by producers, consumers and admin clients. */
export function baseClientConfig(identity: ClientIdentity, purpose?: string) {
  return {
    "bootstrap.servers": identity.bootstrapServers.join(","),
    "client.id": clientId(identity, purpose),
    "socket.keepalive.enable": true,
    // A dead broker is noticed by the others long before this; keep reconnect attempts frequent but bounded.
    "reconnect.backoff.ms": 100,
    "reconnect.backoff.max.ms": 2_000,
    // librdkafka's own errors (a broker going away, say) come out as 'event.error', which we log.
    event_cb: true,
    ...identity.oauthBearer?.settings(purpose ?? identity.service),
    ...identity.properties,
  } as const;
}

/**
 * What librdkafka says of each property on its own (an unknown name, a value it cannot take), asked without
 * connecting: building a client validates its configuration. `isSecret` keeps a secret's value out of the message.
 */
export function clientPropertyProblems(
  properties: Readonly<Record<string, string>>,
  isSecret: (property: string) => boolean = () => false,
): Array<{ property: string; message: string }> {
  const problems: Array<{ property: string; message: string }> = [];
  for (const [property, value] of Object.entries(properties)) {
    try {
      new Producer({ [property]: value });
    } catch (error) {
      const message = messageOf(error);
      problems.push({
        property,
        message: isSecret(property) ? message.replaceAll(value, "<redacted>") : message,
      });
    }
  }
  return problems;
}

/**
 * The producer settings behind "an acknowledged write is never lost": idempotence (no duplicates or reordering
 * on retry), acks from all in-sync replicas (with min.insync.replicas=2, a write survives one broker's loss),
 * and delivery reports for failures only: success is inferred from a drained queue (see DeliveryLedger).
 */
export function reliableProducerConfig(
  identity: ClientIdentity,
  purpose?: string,
  lingerMs = DEFAULT_LINGER_MS,
) {
  return {
    ...baseClientConfig(identity, purpose),
    "enable.idempotence": true,
    acks: "all",
    dr_cb: true,
    // A report per acknowledged message (a JS object and an event each) costs much of the main thread.
    "delivery.report.only.error": true,
    // Retried internally until this deadline; only then does a delivery report carry an error.
    "delivery.timeout.ms": 120_000,
    // The caller's choice for its traffic; a KAFKA_CLIENT_LINGER_MS of the user's still wins.
    "linger.ms": lingerMs,
    ...identity.properties,
  } as const;
}
