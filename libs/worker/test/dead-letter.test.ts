import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { DeliveryError, ErrorCodes, type OutgoingMessage } from "@kafka-fleet/kafka";
import { FleetError } from "@kafka-fleet/service";
import { DeadLetterHeader } from "@kafka-fleet/worker";
import {
  DEAD_LETTER_TOO_LARGE,
  DeadLetters,
  deadLetterHeaders,
  isolateInTransactions,
  isRecordTooLarge,
  isTransientFailure,
} from "@kafka-fleet/worker/internal";

import { FakeTransactions } from "./support/fake-consumer.ts";
import { counted, message, recordingLogger, workerParts } from "./support/harness.ts";

describe("deadLetterHeaders", () => {
  it("says where the record came from, why it failed, who failed it and when", () => {
    const headers = deadLetterHeaders(
      { topic: "topic_app", partition: 3, offset: 42, timestamp: 1_700_000_000_000 },
      { code: "SERDE_WRONG_LENGTH", message: "expected 8 bytes, got 7" },
      { groupId: "kafka-fleet-batch-consumer", failedAt: 1_700_000_000_500 },
    );
    assert.deepEqual(Object.assign({}, ...headers), {
      [DeadLetterHeader.originalTopic]: "topic_app",
      [DeadLetterHeader.originalPartition]: "3",
      [DeadLetterHeader.originalOffset]: "42",
      [DeadLetterHeader.originalTimestamp]: "1700000000000",
      [DeadLetterHeader.errorCode]: "SERDE_WRONG_LENGTH",
      [DeadLetterHeader.errorMessage]: "expected 8 bytes, got 7",
      [DeadLetterHeader.consumerGroup]: "kafka-fleet-batch-consumer",
      [DeadLetterHeader.failedAt]: "1700000000500",
    });
  });

  it("bounds the error message and marks an unknown timestamp", () => {
    const headers = Object.assign(
      {},
      ...deadLetterHeaders(
        { topic: "t", partition: 0, offset: 0 },
        { code: "X", message: "x".repeat(5000) },
        { groupId: "g", failedAt: 0 },
      ),
    ) as Record<string, string>;
    assert.equal(headers[DeadLetterHeader.errorMessage]?.length, 1000);
    assert.equal(headers[DeadLetterHeader.originalTimestamp], "-1");
  });

  it("keeps the record's own headers before its dlq.* ones, and replaces the dlq.* ones of an earlier dead letter", () => {
    const headers = deadLetterHeaders(
      {
        topic: "orders",
        partition: 1,
        offset: 7,
        timestamp: 5,
        headers: [
          { "trace-id": "4bf92f3577b34da6" },
          { "content-type": Buffer.from("application/json") },
          { [DeadLetterHeader.errorCode]: "OLD_CODE" },
        ],
      },
      { code: "HANDLER_FAILED", message: "rejected" },
      { groupId: "g", failedAt: 9 },
    );
    assert.deepEqual(headers.slice(0, 2), [
      { "trace-id": "4bf92f3577b34da6" },
      { "content-type": Buffer.from("application/json") },
    ]);
    const codes = headers.filter((header) => DeadLetterHeader.errorCode in header);
    assert.deepEqual(codes, [{ [DeadLetterHeader.errorCode]: "HANDLER_FAILED" }]);
    assert.equal(headers.length, 2 + 8, "the record's own two, then the eight dlq.* headers");
  });
});

/** What the broker answers a record larger than the topic's max.message.bytes, in the delivery report. */
const tooLarge = () =>
  new DeliveryError("input.dlq", {
    code: ErrorCodes.ERR_MSG_SIZE_TOO_LARGE,
    message: "Broker: Message size too large",
  });

/** A producer that refuses every message with a value longer than `limit` bytes, and keeps the others. */
class LimitedProducer {
  readonly sent: OutgoingMessage[] = [];
  tries = 0;
  readonly limit: number;

  constructor(limit: number) {
    this.limit = limit;
  }

  send(letter: OutgoingMessage): Promise<void> {
    this.tries += 1;
    if ((letter.value?.length ?? 0) > this.limit) return Promise.reject(tooLarge());
    this.sent.push(letter);
    return Promise.resolve();
  }
}

function deadLetters(producer: LimitedProducer, transactional = false) {
  const { metrics } = workerParts({ handle: () => Promise.resolve() });
  const { logger, events } = recordingLogger();
  const sink = new DeadLetters({
    producer,
    topic: "input.dlq",
    groupId: "g",
    logger,
    metrics,
    transactional,
  });
  return { sink, metrics, events };
}

const big = () => ({
  ...message(2, 40, Buffer.alloc(1000, 1), "the-key"),
  headers: [{ "trace-id": "4bf92f3577b34da6" }],
});
const headersOf = (letter: OutgoingMessage | undefined) =>
  Object.assign({}, ...(letter?.headers ?? [])) as Record<string, unknown>;

describe("DeadLetters", () => {
  it("tells a record too large for its topic from other delivery failures", () => {
    assert.equal(isRecordTooLarge(tooLarge()), true);
    assert.equal(
      isRecordTooLarge(Object.assign(new Error("local"), { code: ErrorCodes.ERR_MSG_SIZE_TOO_LARGE })),
      true,
    );
    assert.equal(
      isRecordTooLarge(new DeliveryError("t", { code: ErrorCodes.ERR__MSG_TIMED_OUT, message: "timed out" })),
      false,
    );
    assert.equal(isRecordTooLarge(undefined), false);
  });

  it("sends a dead letter the topic refuses as too large again without its value, saying so, and counts it", async () => {
    const producer = new LimitedProducer(100);
    const { sink, metrics, events } = deadLetters(producer);
    await sink.send(big(), { code: "PROCESSING_FAILED", message: "rejected" });

    assert.equal(producer.sent.length, 1);
    const [letter] = producer.sent;
    assert.equal(letter?.value, null);
    assert.equal(String(letter?.key), "the-key");
    const headers = headersOf(letter);
    assert.equal(headers["trace-id"], "4bf92f3577b34da6", "the record's own headers stay");
    assert.equal(headers[DeadLetterHeader.originalTopic], "input");
    assert.equal(headers[DeadLetterHeader.originalPartition], "2");
    assert.equal(headers[DeadLetterHeader.originalOffset], "40");
    assert.equal(headers[DeadLetterHeader.errorCode], "PROCESSING_FAILED");
    assert.equal(headers[DeadLetterHeader.valueOmitted], "1000");
    assert.equal(
      headers[DeadLetterHeader.valueOmittedReason],
      "delivery to input.dlq failed: Broker: Message size too large",
    );
    assert.equal(await counted(metrics.deadLetterValuesOmitted), 1);
    assert.equal(await counted(metrics.deadLetters), 1);
    const omitted = events.find((event) => event.event === "record.dead_letter_value_omitted");
    assert.deepEqual(
      [omitted?.partition, omitted?.offset, omitted?.valueBytes, omitted?.dlq],
      [2, 40, 1000, "input.dlq"],
    );
    assert.equal(events.filter((event) => event.event === "record.dead_lettered").length, 1);
  });

  it("sends each record's dead letter to its own topic's under a {topic} rule, or all to one named topic", async () => {
    const { metrics } = workerParts({ handle: () => Promise.resolve() });
    for (const [rule, expected] of [
      ["{topic}.dlq", ["orders.dlq", "payments.dlq"]],
      ["dead", ["dead", "dead"]],
    ] as const) {
      const producer = new LimitedProducer(2000);
      const { logger, events } = recordingLogger();
      const sink = new DeadLetters({ producer, topic: rule, groupId: "g", logger, metrics });
      for (const topic of ["orders", "payments"]) {
        await sink.send({ ...message(0, 1, 1n), topic }, { code: "X", message: "x" });
      }
      assert.deepEqual(
        producer.sent.map((letter) => letter.topic),
        expected,
      );
      assert.deepEqual(
        producer.sent.map((letter) => headersOf(letter)[DeadLetterHeader.originalTopic]),
        ["orders", "payments"],
      );
      assert.deepEqual(
        events.filter((event) => event.event === "record.dead_lettered").map((event) => event.dlq),
        expected,
      );
    }
  });

  it("sends a dead letter whole when it fits, and lets other delivery failures through", async () => {
    const producer = new LimitedProducer(2000);
    const { sink, metrics } = deadLetters(producer);
    await sink.send(big(), { code: "X", message: "x" });
    assert.equal(producer.sent[0]?.value?.length, 1000);
    assert.equal(headersOf(producer.sent[0])[DeadLetterHeader.valueOmitted], undefined);
    assert.equal(await counted(metrics.deadLetterValuesOmitted), 0);

    const failing = new DeadLetters({
      producer: {
        send: () =>
          Promise.reject(
            new DeliveryError("input.dlq", {
              code: ErrorCodes.ERR__MSG_TIMED_OUT,
              message: "Local: Message timed out",
            }),
          ),
      },
      topic: "input.dlq",
      groupId: "g",
      logger: recordingLogger().logger,
      metrics,
    });
    await assert.rejects(failing.send(big(), { code: "X", message: "x" }), /Message timed out/);
  });

  it("in a transaction, throws DEAD_LETTER_TOO_LARGE on the refusal and sends the stand-in on the record's next try", async () => {
    const producer = new LimitedProducer(100);
    const { sink } = deadLetters(producer, true);
    await assert.rejects(
      sink.send(big(), { code: "X", message: "x" }),
      (error: unknown) =>
        error instanceof FleetError && error.code === DEAD_LETTER_TOO_LARGE && !isTransientFailure(error),
    );
    assert.equal(producer.sent.length, 0);
    await sink.send(big(), { code: "X", message: "x" });
    assert.equal(producer.tries, 2, "the stand-in at once: the whole one would spoil the transaction again");
    assert.equal(producer.sent[0]?.value, null);
    assert.equal(headersOf(producer.sent[0])[DeadLetterHeader.valueOmitted], "1000");
  });

  it("in a transaction, a stand-in that fails (messages purged by the abort) is tried again in the next one", async () => {
    const producer = new LimitedProducer(100);
    let purges = 1;
    const send = producer.send.bind(producer);
    producer.send = (letter) =>
      letter.value === null && purges-- > 0
        ? Promise.reject(
            new DeliveryError("input.dlq", {
              code: ErrorCodes.ERR__PURGE_QUEUE,
              message: "Local: Purged in queue",
            }),
          )
        : send(letter);
    const { sink } = deadLetters(producer, true);
    const isRedo = (error: unknown) => error instanceof FleetError && error.code === DEAD_LETTER_TOO_LARGE;
    await assert.rejects(sink.send(big(), { code: "X", message: "x" }), isRedo, "refused");
    await assert.rejects(sink.send(big(), { code: "X", message: "x" }), /Purged in queue/, "stand-in purged");
    await sink.send(big(), { code: "X", message: "x" });
    assert.equal(producer.sent.length, 1);
    assert.equal(producer.sent[0]?.value, null);
  });

  it("in exactly-once isolation, redoes a record's transaction a bounded number of times for its dead letter", async () => {
    const transactions = new FakeTransactions();
    let tries = 0;
    const isolating = isolateInTransactions(
      { transactions, isOurs: () => true, logger: recordingLogger().logger },
      [big()],
      () => Promise.reject(new Error("the handler rejects it")),
      () => {
        tries += 1;
        return Promise.reject(new FleetError(DEAD_LETTER_TOO_LARGE, "refused again"));
      },
      isTransientFailure,
    );
    await assert.rejects(isolating, /refused again/);
    assert.equal(tries, 5, "the first try and four redos");
  });

  it("in exactly-once isolation, a dead letter refused as too large is set aside in a second transaction", async () => {
    const producer = new LimitedProducer(100);
    const { sink } = deadLetters(producer, true);
    const transactions = new FakeTransactions();
    const record = big();
    const rejected = await isolateInTransactions(
      { transactions, isOurs: () => true, logger: recordingLogger().logger },
      [record],
      () => Promise.reject(new Error("the handler rejects it")),
      (failed, cause) => sink.send(failed, { code: "Error", message: String(cause) }),
      isTransientFailure,
    );
    assert.equal(rejected, 1);
    assert.deepEqual(transactions.steps, ["begin", "abort", "begin", "abort", "begin", "commit"]);
    assert.deepEqual(transactions.committed, [[{ topic: "input", partition: 2, offset: 41 }]]);
    assert.equal(producer.sent[0]?.value, null);
  });
});
