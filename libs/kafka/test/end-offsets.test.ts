import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { ErrorCodes, topicEndOffsets, type KafkaConsumerClient } from "@kafka-fleet/kafka";

/** A client whose partition 0 answers `failures` in turn, then its high watermark (42); partition 1 answers 7. */
function clientAnswering(failures: number[]): { client: KafkaConsumerClient; asked: () => number } {
  let asked = 0;
  const client = {
    getMetadata: (_options: unknown, done: (error: unknown, data: unknown) => void) =>
      done(null, { topics: [{ name: "t", partitions: [{ id: 0 }, { id: 1 }] }] }),
    queryWatermarkOffsets: (
      _topic: string,
      partition: number,
      _timeoutMs: number,
      done: (error: unknown, offsets?: unknown) => void,
    ) => {
      if (partition === 1) return done(null, { lowOffset: 0, highOffset: 7 });
      const code = failures[asked];
      asked += 1;
      if (code === undefined) done(null, { lowOffset: 0, highOffset: 42 });
      else done({ message: `error ${code}`, code });
    },
  };
  return { client: client as unknown as KafkaConsumerClient, asked: () => asked };
}

describe("topicEndOffsets", () => {
  it("asks again while a partition's leadership moves", async () => {
    const { client, asked } = clientAnswering([
      ErrorCodes.ERR_NOT_LEADER_FOR_PARTITION,
      ErrorCodes.ERR_LEADER_NOT_AVAILABLE,
    ]);
    assert.deepEqual(
      await topicEndOffsets(client, "t"),
      new Map([
        [0, 42],
        [1, 7],
      ]),
    );
    assert.equal(asked(), 3);
  });

  it("throws any other error at once", async () => {
    const { client, asked } = clientAnswering([ErrorCodes.ERR_UNKNOWN_TOPIC_OR_PART]);
    await assert.rejects(topicEndOffsets(client, "t"), { code: ErrorCodes.ERR_UNKNOWN_TOPIC_OR_PART });
    assert.equal(asked(), 1);
  });
});
