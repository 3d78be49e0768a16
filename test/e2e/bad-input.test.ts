// Bad input gets a clear, actionable answer and loses nothing: bad configuration, an unreachable cluster,
// a missing topic, and values that are not int64s.
import assert from "node:assert/strict";
import { describe, it, type TestContext } from "node:test";

import { fileURLToPath } from "node:url";

import { auditValues, forEachRecord, readTopicValues } from "@kafka-fleet/audit";
import type { Message } from "@kafka-fleet/kafka";
import { deserializeInt, serializeInt } from "@kafka-fleet/serde";
import { DeadLetterHeader } from "@kafka-fleet/worker";

import {
  BOOTSTRAP,
  createInputTopic,
  createTestTopic,
  deleteGroupAfter,
  produceValues,
  testAdmin,
  testProducer,
  uniqueName,
} from "../../harness/kafka.ts";
import {
  metricValue,
  metricsOf,
  startService,
  stopGracefully,
  waitForRecords,
  type Role,
} from "../../harness/services.ts";

const roles: Role[] = ["producer", "single-consumer", "batch-consumer"];
const rejectingConsumer = {
  path: fileURLToPath(new URL("./fixtures/rejecting-batch-consumer.ts", import.meta.url)),
};

describe("bad configuration", () => {
  const cases: Array<[Role, Record<string, string>, RegExp]> = [
    ["producer", { PRODUCE_RATE: "fast" }, /PRODUCE_RATE="fast": expected an integer from 0 to 10000000/],
    [
      "producer",
      { PRODUCE_FROM: "10", PRODUCE_TO: "5" },
      /PRODUCE_TO=5 must be greater than PRODUCE_FROM=10/,
    ],
    [
      "single-consumer",
      { KAFKA_BOOTSTRAP_SERVERS: "kafka" },
      /KAFKA_BOOTSTRAP_SERVERS="kafka": expected host:port/,
    ],
    ["batch-consumer", { BATCH_SIZE: "0" }, /BATCH_SIZE="0": expected an integer from 1 to 100000/],
    ["batch-consumer", { BATCH_MAX_WAIT_MS: "1s" }, /BATCH_MAX_WAIT_MS="1s": expected an integer/],
    ["batch-consumer", { PROCESSING_GUARANTEE: "exactly_once" }, /exactly_once" needs RESULTS_TOPIC/],
    ["batch-consumer", { PROCESSING_GUARANTEE: "maybe" }, /PROCESSING_GUARANTEE="maybe": expected one of/],
    // Checked locally against Kafka's rules, not sent to the broker to come back as "Invalid topic".
    [
      "producer",
      { KAFKA_TOPIC: "orders events" },
      /KAFKA_TOPIC="orders events": expected a Kafka topic name/,
    ],
    [
      "batch-consumer",
      { RESULTS_TOPIC: "results/eu" },
      /RESULTS_TOPIC="results\/eu": expected a Kafka topic name/,
    ],
    // librdkafka's own verdict on a client property, against the variable that set it.
    [
      "single-consumer",
      { KAFKA_CLIENT_FOO_BAR: "1" },
      /KAFKA_CLIENT_FOO_BAR: No such configuration property: "foo.bar"/,
    ],
    [
      "producer",
      { KAFKA_CLIENT_SECURITY_PROTOCOL: "TLS" },
      /KAFKA_CLIENT_SECURITY_PROTOCOL: Invalid value "TLS"/,
    ],
    ["batch-consumer", { KAFKA_CLIENT_ACKS: "1" }, /KAFKA_CLIENT_ACKS: acks is set by kafka-fleet/],
    [
      "single-consumer",
      { GROUP_PROTOCOL: "eager" },
      /GROUP_PROTOCOL="eager": expected one of classic, consumer/,
    ],
    // A secret from a file (<NAME>_FILE): which one was meant, and a file that is not there.
    [
      "producer",
      { KAFKA_CLIENT_SASL_PASSWORD: "inline-secret", KAFKA_CLIENT_SASL_PASSWORD_FILE: "/etc/hostname" },
      /^producer: invalid configuration: KAFKA_CLIENT_SASL_PASSWORD and KAFKA_CLIENT_SASL_PASSWORD_FILE are both set: keep one/,
    ],
    [
      "batch-consumer",
      { KAFKA_CLIENT_SASL_PASSWORD_FILE: "/nonexistent/kafka-password" },
      /KAFKA_CLIENT_SASL_PASSWORD_FILE="\/nonexistent\/kafka-password": cannot read the file \(ENOENT.*\): give the path of a readable file holding KAFKA_CLIENT_SASL_PASSWORD$/,
    ],
    [
      "single-consumer",
      { METRICS_HOST: "0.0.0.0:9464" },
      /METRICS_HOST="0.0.0.0:9464": expected an address to listen on/,
    ],
  ];
  for (const [role, env, expected] of cases) {
    it(`${role} exits 2 on ${JSON.stringify(env)} with one line naming the problem`, async (t) => {
      const running = startService(t, role, env);
      assert.equal((await running.exited).code, 2);
      const stderr = running.stderr().trim();
      assert.equal(stderr.split("\n").length, 1, stderr);
      assert.match(stderr, expected);
      assert.doesNotMatch(stderr, /inline-secret/);
      assert.equal(running.logs.length, 0, "nothing started");
    });
  }
});

describe("an unreachable cluster or a missing topic", () => {
  for (const role of roles) {
    it(`${role} exits 1 naming KAFKA_BOOTSTRAP_SERVERS when no broker answers`, async (t) => {
      const running = startService(t, role, {
        KAFKA_BOOTSTRAP_SERVERS: "127.0.0.1:1",
        KAFKA_CONNECT_TIMEOUT_MS: "2000",
      });
      assert.equal((await running.exited).code, 1);
      const failed = running.logs.find((line) => line.event === "service.failed");
      assert.equal(failed?.code, "KAFKA_UNREACHABLE");
      assert.match(
        String(failed?.message),
        /could not reach Kafka at 127\.0\.0\.1:1 .*check KAFKA_BOOTSTRAP_SERVERS/,
      );
      assert.equal(running.stderr(), "", "no stack trace");
    });
  }

  it("a consumer exits 1 naming the topic when KAFKA_TOPIC does not exist", async (t) => {
    const topic = uniqueName("no-such-topic");
    const running = startService(t, "batch-consumer", { KAFKA_TOPIC: topic });
    assert.equal((await running.exited).code, 1);
    const failed = running.logs.find((line) => line.event === "service.failed");
    assert.equal(failed?.code, "TOPIC_MISSING");
    assert.match(String(failed?.message), new RegExp(`topic ${topic} \\(KAFKA_TOPIC\\) does not exist`));
  });
});

describe("values that are not int64s", () => {
  for (const role of ["single-consumer", "batch-consumer"] as const) {
    it(`${role} sends them to the dead-letter topic with headers, processes the rest, commits past them`, async (t) => {
      const input = await createInputTopic(t, `poison-${role}`, 1);
      const results = await createTestTopic(t, `poison-results-${role}`, 1);
      const group = uniqueName(`poison-${role}`);
      deleteGroupAfter(t, group);
      const producer = await testProducer(t);
      const poison: Array<Buffer | null> = [null, Buffer.alloc(0), Buffer.alloc(7), Buffer.alloc(9)];
      const sends: Array<Promise<void>> = [];
      for (let value = 0; value < 20; value += 1) {
        sends.push(producer.send({ topic: input, value: serializeInt(value) }));
        const bad = value % 5 === 0 ? poison[value / 5] : undefined;
        if (bad !== undefined)
          sends.push(producer.send({ topic: input, key: Buffer.from(`bad-${value}`), value: bad }));
      }
      await Promise.all(sends);

      const consumer = startService(t, role, {
        KAFKA_TOPIC: input,
        RESULTS_TOPIC: results,
        CONSUMER_GROUP: group,
      });
      await waitForRecords(results, 20, 60_000);
      await waitForRecords(`${input}.dlq`, 4, 60_000);
      const page = await metricsOf(consumer);
      assert.equal(metricValue(page, "kafka_fleet_dead_letters_total"), 4);
      assert.equal(metricValue(page, "kafka_fleet_dead_letters_total", { reason: "SERDE_MISSING_VALUE" }), 1);
      assert.equal(metricValue(page, "kafka_fleet_dead_letters_total", { reason: "SERDE_WRONG_LENGTH" }), 3);
      assert.equal(await stopGracefully(consumer), 0, consumer.stderr());

      const letters: Message[] = [];
      await forEachRecord({ bootstrapServers: BOOTSTRAP, topic: `${input}.dlq` }, (message) =>
        letters.push(message),
      );
      assert.equal(letters.length, 4);
      for (const letter of letters) {
        const headers = headerMap(letter);
        assert.equal(headers[DeadLetterHeader.originalTopic], input);
        assert.equal(headers[DeadLetterHeader.originalPartition], "0");
        assert.match(headers[DeadLetterHeader.originalOffset] ?? "", /^\d+$/);
        assert.match(headers[DeadLetterHeader.originalTimestamp] ?? "", /^\d{13}$/);
        assert.match(headers[DeadLetterHeader.errorCode] ?? "", /^SERDE_(MISSING_VALUE|WRONG_LENGTH)$/);
        assert.match(headers[DeadLetterHeader.errorMessage] ?? "", /expected 8 bytes/);
        assert.equal(headers[DeadLetterHeader.consumerGroup], group);
        assert.match(String(letter.key), /^bad-\d+$/, "the original key travels with it");
      }
      const lengths = letters.map((letter) => (letter.value === null ? "null" : letter.value.length)).sort();
      assert.deepEqual(lengths, [0, 7, 9, "null"], "the original values travel with them");

      const { values } = await readTopicValues({ bootstrapServers: BOOTSTRAP, topic: results });
      const report = auditValues({ from: 0n, to: 20n }, values);
      assert.deepEqual([report.missing, report.duplicates], [0, 0]);
      const [committed] = await testAdmin(t).committedOffsets(group, input, 1);
      assert.equal(committed?.offset, 24, "committed past every record, poison included");
    });
  }

  // A value at the input topic's size limit (the broker's default, 1 MiB, less room for the record's framing): its
  // dead letter is that plus the dlq.* headers.
  const NEAR_LIMIT_BYTES = 1024 * 1024 - 200;

  /** 10 values and, after the fifth, one poison value of NEAR_LIMIT_BYTES on a one-partition default-size topic. */
  async function inputWithBigPoison(t: TestContext, prefix: string) {
    const input = await createInputTopic(t, prefix, 1);
    // librdkafka's own limit (1,000,000 bytes) is below the topic's.
    const producer = await testProducer(t, { "message.max.bytes": 2 * 1024 * 1024 });
    await produceValues(producer, input, 0n, 5n);
    await producer.send({ topic: input, key: Buffer.from("big"), value: Buffer.alloc(NEAR_LIMIT_BYTES, 7) });
    await produceValues(producer, input, 5n, 10n);
    return input;
  }

  async function deadLettersIn(topic: string): Promise<Message[]> {
    const letters: Message[] = [];
    await forEachRecord({ bootstrapServers: BOOTSTRAP, topic }, (message) => letters.push(message));
    return letters;
  }

  it("a record at the input topic's size limit is dead-lettered whole: the dead-letter topic takes it", async (t) => {
    const input = await inputWithBigPoison(t, "big-poison");
    const results = await createTestTopic(t, "big-poison-results", 1);
    const group = uniqueName("big-poison");
    deleteGroupAfter(t, group);
    const consumer = startService(t, "batch-consumer", {
      KAFKA_TOPIC: input,
      RESULTS_TOPIC: results,
      CONSUMER_GROUP: group,
    });
    await waitForRecords(results, 10, 60_000);
    await waitForRecords(`${input}.dlq`, 1, 60_000);
    assert.equal(await stopGracefully(consumer), 0, consumer.stderr());

    const [letter, ...more] = await deadLettersIn(`${input}.dlq`);
    assert.equal(more.length, 0);
    assert.equal(letter?.value?.length, NEAR_LIMIT_BYTES, "the value travels whole");
    assert.equal(headerMap(letter)[DeadLetterHeader.originalOffset], "5");
    assert.equal(headerMap(letter)[DeadLetterHeader.valueOmitted], undefined);
    const [committed] = await testAdmin(t).committedOffsets(group, input, 1);
    assert.equal(committed?.offset, 11);
  });

  for (const guarantee of ["at_least_once", "exactly_once"] as const) {
    it(`a dead letter its topic refuses as too large goes without its value, and the consumer carries on (${guarantee})`, async (t) => {
      const input = await inputWithBigPoison(t, "refused-poison");
      // A dead-letter topic made by hand with the broker's default limit: no room for the dlq.* headers.
      const dlq = await createTestTopic(t, "refused-poison-dlq", 1);
      const results = await createTestTopic(t, "refused-poison-results", 1);
      const group = uniqueName("refused-poison");
      deleteGroupAfter(t, group);
      const consumer = startService(t, "batch-consumer", {
        KAFKA_TOPIC: input,
        DLQ_TOPIC: dlq,
        RESULTS_TOPIC: results,
        CONSUMER_GROUP: group,
        PROCESSING_GUARANTEE: guarantee,
      });
      // Still running past the record (the old way: exit 1 on the refusal, again after every restart).
      await consumer.waitForEvent("batch.committed", 90_000, (line) => String(line.offsets).includes("0:11"));
      const page = await metricsOf(consumer);
      assert.equal(metricValue(page, "kafka_fleet_dead_letter_values_omitted_total"), 1);
      assert.equal(metricValue(page, "kafka_fleet_dead_letters_total", { reason: "SERDE_WRONG_LENGTH" }), 1);
      assert.equal(await stopGracefully(consumer), 0, consumer.stderr());

      const [letter, ...more] = await deadLettersIn(dlq);
      assert.equal(more.length, 0);
      assert.equal(letter?.value, null, "the value is left out");
      assert.equal(String(letter?.key), "big", "the key travels");
      const headers = headerMap(letter);
      assert.equal(headers[DeadLetterHeader.valueOmitted], String(NEAR_LIMIT_BYTES));
      assert.match(headers[DeadLetterHeader.valueOmittedReason] ?? "", /Message size too large/);
      assert.equal(headers[DeadLetterHeader.originalTopic], input);
      assert.equal(headers[DeadLetterHeader.originalOffset], "5", "where the original is");
      assert.equal(headers[DeadLetterHeader.errorCode], "SERDE_WRONG_LENGTH");
      const omitted = consumer.logs.find((line) => line.event === "record.dead_letter_value_omitted");
      assert.equal(omitted?.valueBytes, NEAR_LIMIT_BYTES);
      const { values } = await readTopicValues({ bootstrapServers: BOOTSTRAP, topic: results });
      assert.deepEqual([auditValues({ from: 0n, to: 10n }, values).missing], [0]);
      const [committed] = await testAdmin(t).committedOffsets(group, input, 1);
      assert.equal(committed?.offset, 11, "committed past the record: its partition is not blocked");
    });
  }

  it("a record the handler keeps rejecting goes to the dead-letter topic alone; its batch is processed", async (t) => {
    const input = await createInputTopic(t, "handler-failure", 1);
    const results = await createTestTopic(t, "handler-failure-results", 1);
    const group = uniqueName("handler-failure");
    deleteGroupAfter(t, group);
    await produceValues(await testProducer(t), input, 0n, 10n);

    const consumer = startService(t, rejectingConsumer, {
      KAFKA_TOPIC: input,
      RESULTS_TOPIC: results,
      CONSUMER_GROUP: group,
      REJECT_VALUE: "7",
      RETRY_MAX: "2",
      RETRY_BACKOFF_MS: "10",
    });
    await waitForRecords(`${input}.dlq`, 1, 60_000);
    await waitForRecords(results, 9, 60_000);
    assert.equal(await stopGracefully(consumer), 0, consumer.stderr());

    const retries = consumer.logs.filter((line) => line.event === "processing.retry");
    assert.equal(retries.length, 2, "the batch was retried RETRY_MAX times first");
    const letters: Message[] = [];
    await forEachRecord({ bootstrapServers: BOOTSTRAP, topic: `${input}.dlq` }, (message) =>
      letters.push(message),
    );
    assert.equal(letters.length, 1);
    assert.equal(deserializeInt(letters[0]?.value), 7n);
    assert.equal(headerMap(letters[0]!)[DeadLetterHeader.errorCode], "PROCESSING_FAILED");
    assert.match(headerMap(letters[0]!)[DeadLetterHeader.errorMessage] ?? "", /value 7 is rejected/);
    const { values } = await readTopicValues({ bootstrapServers: BOOTSTRAP, topic: results });
    assert.deepEqual(
      values.map(Number).sort((a, b) => a - b),
      [0, 1, 2, 3, 4, 5, 6, 8, 9],
    );
    const [committed] = await testAdmin(t).committedOffsets(group, input, 1);
    assert.equal(committed?.offset, 10);
  });
});

function headerMap(message: Message): Record<string, string> {
  const map: Record<string, string> = {};
  for (const header of message.headers ?? []) {
    for (const [key, value] of Object.entries(header)) map[key] = String(value);
  }
  return map;
}
