/**
 * Whether a consumer is ready, decided from the rebalance events it sees. Ready means "a member of its group":
 * librdkafka hands every member an assignment after each join, an empty one included (a replica beyond the
 * partition count), so the first assignment says the member has joined. Owning no partition is not a fault: such
 * a replica is a standby that takes over on the next rebalance, and a Kubernetes rollout or an autoscaler must
 * see it Ready. How many partitions it owns is a metric (one consumer_lag series each) and the reason's detail.
 */

/** What a rebalance event did: partitions assigned (maybe none), revoked in a rebalance, lost, or an error. */
export type RebalanceOutcome = "assigned" | "revoked" | "lost" | "error";

export interface Membership {
  readonly member: boolean;
  readonly reason: string;
}

export function membershipAfter(
  outcome: RebalanceOutcome,
  state: { readonly groupId: string; readonly owned: number; readonly previous: Membership },
): Membership {
  const { groupId, owned, previous } = state;
  switch (outcome) {
    case "assigned":
      return { member: true, reason: `member of group ${groupId}, ${owned} partitions assigned` };
    case "lost":
      // The session expired (or the member was fenced): librdkafka rejoins, and the next assignment says so.
      return { member: false, reason: `assignment lost, rejoining group ${groupId}` };
    case "revoked":
      // A cooperative rebalance in progress: still a member, and an assignment (maybe empty) follows.
      return previous.member
        ? { member: true, reason: `member of group ${groupId}, ${owned} partitions assigned` }
        : previous;
    case "error":
      return previous;
  }
}

/** Before the first assignment: subscribed, not yet a member. */
export function joining(groupId: string): Membership {
  return { member: false, reason: `joining group ${groupId}` };
}
