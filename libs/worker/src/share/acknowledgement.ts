// How a share-group worker answers the broker for each record it acquired (KIP-932): what the handler's outcome
// becomes. Pure: the share loop does the I/O.
import type { AcknowledgeTypeName } from "@kafka-fleet/kafka";

/**
 * What became of one record in the worker:
 * - `done`: the handler succeeded.
 * - `failed`: the handler failed it (rejected, or listed it among its failures); may succeed on another delivery.
 * - `unrecoverable`: an `UnrecoverableError` for this record, or a value that does not decode: no delivery can
 *   succeed.
 * - `transient`: the infrastructure failed (a delivery timed out, a broker away): the record is fine.
 * - `interrupted`: the worker is stopping and did not finish the record.
 */
export type ShareOutcome = "done" | "failed" | "unrecoverable" | "transient" | "interrupted";

export interface ShareAcknowledgement {
  readonly type: AcknowledgeTypeName;
  /** Send the record to the dead-letter topic before acknowledging it, so that nothing is archived unseen. */
  readonly deadLetter: boolean;
}

const ACCEPT: ShareAcknowledgement = { type: "ACCEPT", deadLetter: false };
const RELEASE: ShareAcknowledgement = { type: "RELEASE", deadLetter: false };

/**
 * The acknowledgement of a record, given its outcome, which delivery this was (`deliveryCount`, 1 the first),
 * the deliveries the worker allows (`maxDeliveries`, at most the group's `share.delivery.count.limit`: past it
 * the broker archives the record without telling anyone) and whether there is a dead-letter topic.
 *
 * A failure is released for the broker to deliver again (maybe to another member) until its last allowed
 * delivery, then rejected; an unrecoverable record is rejected at once. A rejected record is dead-lettered first
 * when there is a dead-letter topic. A failure of the infrastructure, or a record the stop interrupted, is
 * released whatever its count: it is not the record's fault, and it never goes to the dead-letter topic (its
 * delivery still counts at the broker, which archives it past the group's limit).
 */
export function acknowledgementFor(
  outcome: ShareOutcome,
  deliveryCount: number,
  maxDeliveries: number,
  hasDeadLetterTopic: boolean,
): ShareAcknowledgement {
  switch (outcome) {
    case "done":
      return ACCEPT;
    case "transient":
    case "interrupted":
      return RELEASE;
    case "failed":
      if (deliveryCount < maxDeliveries) return RELEASE;
      return { type: "REJECT", deadLetter: hasDeadLetterTopic };
    case "unrecoverable":
      return { type: "REJECT", deadLetter: hasDeadLetterTopic };
  }
}
