import { hostname } from "node:os";

/** What every client of a service shares. */
export interface ClientIdentity {
  readonly bootstrapServers: readonly string[];
  /** The role, e.g. "batch-consumer"; the client id adds host and pid so brokers can tell replicas apart. */
  readonly service: string;
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
  } as const;
}

/**
 * The producer settings behind "an acknowledged write is never lost": idempotence (no duplicates or reordering
 * on retry), acks from all in-sync replicas (with min.insync.replicas=2, a write survives one broker's loss),
 * and delivery reports for failures only: success is inferred from a drained queue (see DeliveryLedger).
 */
export function reliableProducerConfig(identity: ClientIdentity, purpose?: string) {
  return {
    ...baseClientConfig(identity, purpose),
    "enable.idempotence": true,
    acks: "all",
    dr_cb: true,
    // A report per acknowledged message (a JS object and an event each) cost two thirds of the main thread.
    "delivery.report.only.error": true,
    // Retried internally until this deadline; only then does a delivery report carry an error.
    "delivery.timeout.ms": 120_000,
    "linger.ms": 5,
  } as const;
}
