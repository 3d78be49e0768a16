// The example worker (examples/json-worker), as its own process against the real cluster: JSON orders in, totals
// out, a malformed record and an invalid order set aside in the dead-letter topic, every offset committed.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { forEachRecord } from "@kafka-fleet/audit";
import type { Message } from "@kafka-fleet/kafka";
import { DeadLetterHeader } from "@kafka-fleet/worker";

import {
  BOOTSTRAP,
  REPO_ROOT,
  createInputTopic,
  createTestTopic,
  deleteGroupAfter,
  testAdmin,
  testProducer,
  uniqueName,
} from "../../harness/kafka.ts";
import { metricsOf, startService, stopGracefully, waitForRecords } from "../../harness/services.ts";

const jsonWorker = { path: `${REPO_ROOT}examples/json-worker/main.ts` };
const ORDERS = 30;

describe("examples/json-worker", () => {
  it("publishes each valid order's total and dead-letters the malformed and the invalid one", async (t) => {
    const input = await createInputTopic(t, "json-orders", 3);
    const results = await createTestTopic(t, "json-totals", 3);
    const group = uniqueName("json-worker");
    deleteGroupAfter(t, group);

    const producer = await testProducer(t);
    const json = (value: unknown) => Buffer.from(JSON.stringify(value));
    const sends: Array<Promise<void>> = [];
    for (let i = 0; i < ORDERS; i += 1) {
      const id = `o-${i}`;
      sends.push(
        producer.send({
          topic: input,
          key: Buffer.from(id),
          value: json({ id, quantity: i + 1, unitPrice: 3 }),
        }),
      );
    }
    sends.push(
      producer.send({ topic: input, key: Buffer.from("garbled"), value: Buffer.from('{"id": "o-') }),
    );
    sends.push(
      producer.send({
        topic: input,
        key: Buffer.from("o-bad"),
        value: json({ id: "o-bad", quantity: 0, unitPrice: 3 }),
      }),
    );
    await Promise.all(sends);

    const worker = startService(t, jsonWorker, {
      KAFKA_TOPIC: input,
      RESULTS_TOPIC: results,
      CONSUMER_GROUP: group,
      BATCH_MAX_WAIT_MS: "200",
    });
    await waitForRecords(results, ORDERS, 60_000);
    await waitForRecords(`${input}.dlq`, 2, 60_000);
    // Its dead-letter reasons are its own (its deserializer's and its handler's), none of the int64 serde's.
    const reasons = [
      ...(await metricsOf(worker)).matchAll(/^kafka_fleet_dead_letters_total\{([^}]*)\} (\S+)$/gm),
    ]
      .map(([, labels, value]) => `${/reason="([^"]+)"/.exec(labels ?? "")?.[1]}=${value}`)
      .sort();
    assert.deepEqual(reasons, ["DESERIALIZATION_FAILED=1", "INVALID_ORDER=1"]);
    assert.equal(await stopGracefully(worker), 0, worker.stderr());
    assert.equal(worker.logs[0]?.service, "json-worker");

    const totals = new Map<string, number>();
    await forEachRecord({ bootstrapServers: BOOTSTRAP, topic: results }, (message) => {
      const { id, total } = JSON.parse(String(message.value)) as { id: string; total: number };
      assert.equal(String(message.key), id, "the order's key travels with its total");
      assert.equal(totals.has(id), false, `${id} published once`);
      totals.set(id, total);
    });
    assert.equal(totals.size, ORDERS);
    for (let i = 0; i < ORDERS; i += 1) assert.equal(totals.get(`o-${i}`), (i + 1) * 3);

    const letters: Message[] = [];
    await forEachRecord({ bootstrapServers: BOOTSTRAP, topic: `${input}.dlq` }, (message) =>
      letters.push(message),
    );
    const byKey = new Map(letters.map((letter) => [String(letter.key), headerMap(letter)]));
    assert.equal(letters.length, 2);
    assert.equal(byKey.get("garbled")?.[DeadLetterHeader.errorCode], "DESERIALIZATION_FAILED");
    assert.equal(byKey.get("o-bad")?.[DeadLetterHeader.errorCode], "INVALID_ORDER");
    assert.match(byKey.get("o-bad")?.[DeadLetterHeader.errorMessage] ?? "", /order o-bad: invalid/);
    const garbled = letters.find((letter) => String(letter.key) === "garbled");
    assert.equal(String(garbled?.value), '{"id": "o-', "the original bytes travel with the dead letter");
    const retries = worker.logs.filter((line) => line.event === "processing.retry");
    assert.equal(retries.length, 0, "an unrecoverable order is not retried");

    const committed = await testAdmin(t).committedOffsets(group, input, 3);
    const total = committed.reduce((sum, { offset }) => sum + Math.max(0, offset), 0);
    assert.equal(total, ORDERS + 2, "committed past every record, dead letters included");
  });
});

function headerMap(message: Message): Record<string, string> {
  const map: Record<string, string> = {};
  for (const header of message.headers ?? []) {
    for (const [key, value] of Object.entries(header)) map[key] = String(value);
  }
  return map;
}
