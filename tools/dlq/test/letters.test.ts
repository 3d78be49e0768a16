import assert from "node:assert/strict";
import { describe, it } from "node:test";

import type { Message, MessageHeader } from "@kafka-fleet/kafka";
import { deadLetterHeaders, withoutValue } from "@kafka-fleet/worker";

import {
  REPLAY_OF_HEADER,
  SelectionError,
  bytesView,
  deadLetterOf,
  groupLetters,
  headerList,
  isSelected,
  planReplay,
  replayOf,
  selectionOf,
} from "../letters.ts";

const FAILED_AT = Date.parse("2026-12-06T18:00:00Z");

/** A dead letter as the worker writes it (deadLetterHeaders), at `dlq/partition/offset`. */
function letter(
  at: { partition?: number; offset: number },
  origin: {
    partition: number;
    offset: number;
    code?: string;
    failedAt?: number;
    headers?: Message["headers"];
  },
  extra: Partial<Message> = {},
): Message {
  return {
    topic: "orders.dlq",
    partition: at.partition ?? 0,
    offset: at.offset,
    size: 0,
    key: Buffer.from(`key-${origin.offset}`),
    value: Buffer.from([1, 2, 3]),
    headers: deadLetterHeaders(
      {
        topic: "orders",
        partition: origin.partition,
        offset: origin.offset,
        timestamp: 1,
        headers: origin.headers ?? [],
      },
      { code: origin.code ?? "SERDE_WRONG_LENGTH", message: "expected 8 bytes" },
      { groupId: "g", failedAt: origin.failedAt ?? FAILED_AT },
    ),
    ...extra,
  };
}

describe("a dead letter read from its headers", () => {
  it("takes its origin, code, message and failure time from the dlq.* headers", () => {
    const read = deadLetterOf(letter({ partition: 2, offset: 7 }, { partition: 4, offset: 41 }));
    assert.deepEqual(
      [
        read.originTopic,
        read.originPartition,
        read.originOffset,
        read.code,
        read.errorMessage,
        read.failedAt,
      ],
      ["orders", 4, 41, "SERDE_WRONG_LENGTH", "expected 8 bytes", FAILED_AT],
    );
    assert.equal(read.valueOmitted, false);
    assert.equal(read.replayOf, undefined);
  });

  it("a record without dlq.* headers reads as origin ?/-1/-1 and code ?", () => {
    const read = deadLetterOf({ topic: "t", partition: 0, offset: 0, size: 0, value: null });
    assert.deepEqual([read.originTopic, read.originPartition, read.code, read.failedAt], ["?", -1, "?", -1]);
  });

  it("knows a dead letter sent without its value, and a failed replay", () => {
    const sent = deadLetterOf(letter({ offset: 0 }, { partition: 0, offset: 0 }));
    const stripped = withoutValue(
      { topic: "orders.dlq", value: sent.message.value ?? null, headers: sent.message.headers ?? [] },
      "too large",
    );
    assert.equal(
      deadLetterOf({ ...sent.message, value: null, headers: stripped.headers }).valueOmitted,
      true,
    );
    const failedReplay = deadLetterOf(
      letter(
        { offset: 9 },
        { partition: 0, offset: 30, headers: [{ [REPLAY_OF_HEADER]: "orders.dlq/0/3" }] },
      ),
    );
    assert.equal(failedReplay.replayOf, "orders.dlq/0/3");
  });
});

describe("selection", () => {
  const letters = [
    deadLetterOf(letter({ offset: 0 }, { partition: 0, offset: 5, code: "A", failedAt: 1000 })),
    deadLetterOf(letter({ offset: 1 }, { partition: 1, offset: 6, code: "B", failedAt: 2000 })),
    deadLetterOf(letter({ offset: 2 }, { partition: 1, offset: 9, code: "A", failedAt: 3000 })),
  ];
  const offsets = (selection: Parameters<typeof isSelected>[1]) =>
    letters.filter((one) => isSelected(one, selection)).map((one) => one.offset);

  it("takes all without flags, and each flag narrows it (ranges inclusive)", () => {
    assert.deepEqual(offsets(selectionOf({})), [0, 1, 2]);
    assert.deepEqual(offsets(selectionOf({ code: "A" })), [0, 2]);
    assert.deepEqual(offsets(selectionOf({ code: "B,A" })), [0, 1, 2]);
    assert.deepEqual(offsets(selectionOf({ "origin-partition": "1" })), [1, 2]);
    assert.deepEqual(offsets(selectionOf({ "from-offset": "6", "to-offset": "9" })), [1, 2]);
    assert.deepEqual(offsets(selectionOf({ "origin-partition": "1", "to-offset": "6" })), [1]);
    assert.deepEqual(offsets(selectionOf({ since: "2000", until: "2000" })), [1]);
    assert.deepEqual(offsets(selectionOf({ until: new Date(2000).toISOString() })), [0, 1]);
    assert.deepEqual(offsets(selectionOf({ "origin-topic": "orders" })), [0, 1, 2]);
    assert.deepEqual(offsets(selectionOf({ "origin-topic": "payments" })), []);
  });

  it("refuses bad values with a message naming the flag", () => {
    const refusals: Array<[Parameters<typeof selectionOf>[0], RegExp]> = [
      [{ "from-offset": "-1" }, /^--from-offset must be an offset .*"-1"/],
      [{ "to-offset": "ten" }, /^--to-offset must be an offset/],
      [{ "origin-partition": "1.5" }, /^--origin-partition must be an offset/],
      [{ "from-offset": "9", "to-offset": "3" }, /^--from-offset 9 is after --to-offset 3/],
      [{ since: "yesterday" }, /^--since must be a time, ISO 8601/],
      [{ since: "3000", until: "2000" }, /^--since is after --until/],
      [{ code: "," }, /^--code must name at least one error code/],
      [{ "origin-topic": "" }, /^--origin-topic must name a topic/],
    ];
    for (const [flags, expected] of refusals)
      assert.throws(
        () => selectionOf(flags),
        (error: unknown) => error instanceof SelectionError && expected.test(error.message),
      );
  });
});

describe("list groups", () => {
  it("counts by code and origin partition, with origin offsets and failure times first to last", () => {
    const groups = groupLetters([
      deadLetterOf(letter({ offset: 0 }, { partition: 1, offset: 9, code: "B", failedAt: 5000 })),
      deadLetterOf(letter({ offset: 1 }, { partition: 0, offset: 5, code: "A", failedAt: 1000 })),
      deadLetterOf(
        letter(
          { offset: 2 },
          { partition: 0, offset: 2, code: "A", failedAt: 3000, headers: [{ [REPLAY_OF_HEADER]: "x/0/0" }] },
        ),
      ),
    ]);
    assert.deepEqual(groups, [
      {
        code: "A",
        originTopic: "orders",
        originPartition: 0,
        count: 2,
        replays: 1,
        firstOriginOffset: 2,
        lastOriginOffset: 5,
        firstFailedAt: new Date(1000).toISOString(),
        lastFailedAt: new Date(3000).toISOString(),
      },
      {
        code: "B",
        originTopic: "orders",
        originPartition: 1,
        count: 1,
        replays: 0,
        firstOriginOffset: 9,
        lastOriginOffset: 9,
        firstFailedAt: new Date(5000).toISOString(),
        lastFailedAt: new Date(5000).toISOString(),
      },
    ]);
  });
});

describe("the record a replay sends", () => {
  const own: MessageHeader[] = [
    { traceparent: "00-abc-01" },
    { "content-type": Buffer.from("application/octet-stream") },
  ];
  const read = deadLetterOf(
    letter(
      { partition: 3, offset: 12 },
      { partition: 4, offset: 41, headers: [...own, { [REPLAY_OF_HEADER]: "old/0/0" }] },
    ),
  );

  it("keeps key, value and the record's own headers, drops the dlq.* ones and marks the dead letter it replays", () => {
    const sent = replayOf(read, "orders");
    assert.deepEqual(sent.key, Buffer.from("key-41"));
    assert.deepEqual(sent.value, Buffer.from([1, 2, 3]));
    assert.deepEqual(sent.headers, [...own, { [REPLAY_OF_HEADER]: "orders.dlq/3/12" }]);
    assert.equal(sent.topic, "orders");
    assert.equal(sent.partition, 4, "to the origin topic: the origin partition");
  });

  it("to another topic, leaves the partition to the partitioner", () => {
    const sent = replayOf(read, "orders.retry");
    assert.equal(sent.topic, "orders.retry");
    assert.equal(sent.partition, undefined);
  });

  it("a plan sends what the target has no marker of, and never a dead letter without its value", () => {
    const omitted = deadLetterOf({
      ...letter({ offset: 13 }, { partition: 0, offset: 1 }),
      headers: [
        ...(letter({ offset: 13 }, { partition: 0, offset: 1 }).headers ?? []),
        { "dlq.value.omitted": "5" },
      ],
    });
    const other = deadLetterOf(letter({ partition: 3, offset: 14 }, { partition: 4, offset: 42 }));
    const plan = planReplay([read, omitted, other], new Set(["orders.dlq/3/12"]));
    assert.deepEqual(
      plan.map(({ letter: one, action }) => [one.offset, action]),
      [
        [12, "already-replayed"],
        [13, "value-omitted"],
        [14, "send"],
      ],
    );
  });

  it("leaves a failed replay alone unless asked to retry it, and then sends it once too", () => {
    const failedReplay = deadLetterOf(
      letter(
        { offset: 20 },
        { partition: 4, offset: 99, headers: [{ [REPLAY_OF_HEADER]: "orders.dlq/3/12" }] },
      ),
    );
    const actions = (replayed: Set<string>, retryFailed: boolean) =>
      planReplay([failedReplay], replayed, retryFailed).map(({ action }) => action);
    assert.deepEqual(actions(new Set(), false), ["failed-replay"]);
    assert.deepEqual(actions(new Set(), true), ["send"]);
    assert.deepEqual(actions(new Set(["orders.dlq/0/20"]), true), ["already-replayed"]);
    assert.deepEqual(replayOf(failedReplay, "orders").headers, [{ [REPLAY_OF_HEADER]: "orders.dlq/0/20" }]);
  });
});

describe("show's views", () => {
  it("gives text only for UTF-8, base64 and hex always, and every header in order", () => {
    assert.deepEqual(bytesView(Buffer.from("héllo")), {
      text: "héllo",
      base64: "aMOpbGxv",
      hex: "68c3a96c6c6f",
    });
    assert.deepEqual(bytesView(Buffer.from([0xff, 0x00])), { text: null, base64: "/wA=", hex: "ff00" });
    assert.equal(bytesView(null), null);
    assert.deepEqual(headerList([{ a: "1" }, { b: Buffer.from("2") }, { a: "3" }]), [
      ["a", "1"],
      ["b", "2"],
      ["a", "3"],
    ]);
  });
});
