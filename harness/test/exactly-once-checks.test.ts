import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { orderViolations, type Arrival } from "../chaos/committed-reader.ts";
import { coordinatorsIn } from "../chaos/exactly-once.ts";

describe("the exactly-once scenarios' checks", () => {
  it("find the coordinator of a group's transactional ids in TransactionsCommand's list", () => {
    const table = [
      "TransactionalId                              Coordinator ProducerId TransactionState",
      "kafka-fleet-chaos-ab12-host-100-1a2b3c4d     2           7001       Ongoing",
      "kafka-fleet-chaos-ab12-host-101-5e6f7a8b     3           7002       CompleteCommit",
      "kafka-fleet-chaos-zz99-host-102-00000000     1           7003       Empty",
    ].join("\n");
    assert.deepEqual(
      [...coordinatorsIn(table, "kafka-fleet-chaos-ab12-")],
      [
        ["kafka-fleet-chaos-ab12-host-100-1a2b3c4d", 2],
        ["kafka-fleet-chaos-ab12-host-101-5e6f7a8b", 3],
      ],
    );
    assert.throws(() => coordinatorsIn("Error: timed out", "x"), /printed no table/);
  });

  it("report results read out of their input partition's order, per results partition", () => {
    // Values 0..5: even ones in input partition 0, odd ones in input partition 1, each at offset value / 2.
    const input = new Map([0, 1, 2, 3, 4, 5].map((v) => [BigInt(v), { partition: v % 2, offset: v >> 1 }]));
    const read = (value: number, partition: number, phase = "during"): Arrival => ({
      value: BigInt(value),
      partition,
      phase,
    });
    // Interleaved input partitions, and the same input partition spread over results partitions: in order.
    assert.deepEqual(
      orderViolations([read(0, 0), read(1, 0), read(3, 0), read(2, 1), read(4, 0)], input),
      [],
    );
    assert.deepEqual(orderViolations([read(0, 0), read(4, 0), read(2, 0, "after")], input), [
      { value: 2n, after: 4n, inputPartition: 0, resultsPartition: 0, phase: "after" },
    ]);
    // A value read twice in the same partition is out of order too.
    assert.equal(orderViolations([read(1, 2), read(1, 2)], input).length, 1);
    assert.throws(() => orderViolations([read(9, 0)], input), /no input record/);
  });
});
