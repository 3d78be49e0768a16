import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { INT64_DECODE_FAILURES, deserializeJson } from "@kafka-fleet/serde";
import { createRegistry } from "@kafka-fleet/service";
import { DESERIALIZATION_FAILED, int64Values, type Deserializer } from "@kafka-fleet/worker";
import {
  createConsumerMetrics,
  createOrderingMetrics,
  decodeFailureCodes,
} from "@kafka-fleet/worker/internal";

/** The `reason` labels of kafka_fleet_dead_letters_total on the registry's page. */
async function deadLetterReasons(registry: ReturnType<typeof createRegistry>): Promise<string[]> {
  const page = await registry.metrics();
  return [...page.matchAll(/^kafka_fleet_dead_letters_total\{reason="([^"]+)"/gm)].map(
    (match) => match[1] ?? "",
  );
}

describe("dead-letter reasons shown from the start", () => {
  it("are the worker's own serde's: int64's by default, DESERIALIZATION_FAILED for a deserializer of one's own", () => {
    assert.deepEqual(decodeFailureCodes(int64Values), INT64_DECODE_FAILURES);
    const json: Deserializer<unknown> = (bytes) => deserializeJson(bytes);
    assert.deepEqual(decodeFailureCodes(json), [DESERIALIZATION_FAILED]);
    const listed: Deserializer<unknown> = Object.assign(json, { failureCodes: ["SERDE_NOT_JSON"] });
    assert.deepEqual(decodeFailureCodes(listed), ["SERDE_NOT_JSON"]);
  });

  it("are the only reasons /metrics lists before the first dead letter", async () => {
    const registry = createRegistry("json-worker");
    createConsumerMetrics(registry, [DESERIALIZATION_FAILED]);
    assert.deepEqual(await deadLetterReasons(registry), [DESERIALIZATION_FAILED]);
    const int64 = createRegistry("batch-consumer");
    createConsumerMetrics(int64, INT64_DECODE_FAILURES);
    assert.deepEqual(await deadLetterReasons(int64), ["SERDE_MISSING_VALUE", "SERDE_WRONG_LENGTH"]);
  });
});

describe("createOrderingMetrics", () => {
  it("exposes records in flight and waiting, read at scrape time", async () => {
    const registry = createRegistry("test-service");
    const held = { inFlight: 3, queued: 40 };
    createOrderingMetrics(registry, () => held);
    const value = async (name: string) => {
      const match = new RegExp(`^kafka_fleet_${name}\\{service="test-service"\\} (\\d+)$`, "m").exec(
        await registry.metrics(),
      );
      assert.ok(match, `${name} is exposed`);
      return Number(match[1]);
    };
    assert.equal(await value("records_in_flight"), 3);
    assert.equal(await value("records_waiting"), 40);
    held.queued = 0;
    assert.equal(await value("records_waiting"), 0);
  });
});
