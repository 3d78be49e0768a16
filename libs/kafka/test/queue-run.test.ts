import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { queueRun } from "../src/producer-client.ts";
import { ErrorCodes, type ProducerClient } from "../src/rdkafka.ts";

const queueFull = Object.assign(new Error("Local: Queue full"), { code: ErrorCodes.ERR__QUEUE_FULL });
const run = { topic: "t", partition: 2, values: Buffer.from("aabbccdd"), valueSize: 2, count: 4 };

describe("queueRun", () => {
  it("hands the run to the patched client's produceRun, a full queue before the first value counting as 0", () => {
    const calls: unknown[][] = [];
    let room = 4;
    const client = {
      produceRun: (...args: unknown[]) => {
        calls.push(args);
        if (room === 0) throw queueFull;
        const queued = Math.min(room, args[4] as number);
        room -= queued;
        return queued;
      },
    } as unknown as ProducerClient;
    assert.equal(queueRun(client, run), 4);
    assert.deepEqual(calls, [["t", 2, run.values, 2, 4]]);
    assert.equal(queueRun(client, run), 0);
  });

  it("without produceRun (a binding built without the patch), queues the same values one produce() each", () => {
    const produced: unknown[][] = [];
    const client = {
      produce: (...args: unknown[]) => {
        if (produced.length === 3) throw queueFull;
        produced.push(args);
      },
    } as unknown as ProducerClient;
    assert.equal(queueRun(client, run), 3, "stops at the first value refused, keeping the order");
    assert.deepEqual(
      produced.map(([topic, partition, value, key]) => [topic, partition, String(value), key]),
      [
        ["t", 2, "aa", null],
        ["t", 2, "bb", null],
        ["t", 2, "cc", null],
      ],
    );
  });

  it("throws any other refusal", () => {
    const refused = Object.assign(new Error("Broker: Unknown topic or partition"), { code: 3 });
    const client = {
      produceRun: () => {
        throw refused;
      },
    } as unknown as ProducerClient;
    assert.throws(() => queueRun(client, run), refused);
  });
});
