import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { joining, membershipAfter } from "../src/membership.ts";

describe("membershipAfter (what /readyz says of a consumer)", () => {
  const groupId = "g";

  it("is not ready before its first assignment", () => {
    assert.deepEqual(joining(groupId), { member: false, reason: "joining group g" });
  });

  it("is ready once assigned, with no partitions too (a standby beyond the partition count)", () => {
    const none = membershipAfter("assigned", { groupId, owned: 0, previous: joining(groupId) });
    assert.deepEqual(none, { member: true, reason: "member of group g, 0 partitions assigned" });
    const three = membershipAfter("assigned", { groupId, owned: 3, previous: none });
    assert.deepEqual(three, { member: true, reason: "member of group g, 3 partitions assigned" });
  });

  it("stays ready through a cooperative revoke, down to no partitions", () => {
    const before = { member: true, reason: "member of group g, 2 partitions assigned" };
    assert.deepEqual(membershipAfter("revoked", { groupId, owned: 0, previous: before }), {
      member: true,
      reason: "member of group g, 0 partitions assigned",
    });
  });

  it("is not ready once its assignment is lost, until the next assignment", () => {
    const before = { member: true, reason: "member of group g, 2 partitions assigned" };
    const lost = membershipAfter("lost", { groupId, owned: 0, previous: before });
    assert.deepEqual(lost, { member: false, reason: "assignment lost, rejoining group g" });
    assert.deepEqual(membershipAfter("revoked", { groupId, owned: 0, previous: lost }), lost);
    assert.equal(membershipAfter("assigned", { groupId, owned: 1, previous: lost }).member, true);
  });

  it("keeps what it was on a rebalance error", () => {
    const before = joining(groupId);
    assert.equal(membershipAfter("error", { groupId, owned: 0, previous: before }), before);
  });
});
