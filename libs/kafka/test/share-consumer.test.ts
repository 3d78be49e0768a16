// The share consumer of deploy/binding's share-consumer patch, where no broker is needed: its configuration is
// checked when it is made, its blocking calls leave the event loop free, calls that would race a running one fail
// at once, and a closed one says so. What needs share groups is in test/integration/share-consumer.test.ts.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { createShareConsumer, type ShareConsumerClient } from "../src/share-consumer.ts";

/** A port nothing listens on: the consumer runs, with no broker to reach. */
const NOWHERE = { "bootstrap.servers": "127.0.0.1:1", log_level: 0 };
const CONFLICT = -173;
const STATE = -172;

function consumer(t: { after(fn: () => unknown): void }): ShareConsumerClient {
  const c = createShareConsumer({ ...NOWHERE, "group.id": "unit" });
  let open = true;
  const close = c.close.bind(c);
  c.close = () => {
    open = false;
    return close();
  };
  t.after(() => (open ? c.close() : undefined));
  return c;
}

describe("share consumer (binding, no broker)", () => {
  it("needs a group.id, and names a property librdkafka does not know", () => {
    assert.throws(() => createShareConsumer({ ...NOWHERE }), /needs a "group.id"/);
    assert.throws(
      () => createShareConsumer({ ...NOWHERE, "group.id": "g", "no.such.property": 1 }),
      /No such configuration property: "no.such.property"/,
    );
  });

  it("consume() waits on the thread pool: a timer set before it fires before it resolves", async (t) => {
    const c = consumer(t);
    c.subscribe(["unit-topic"]);
    const order: string[] = [];
    const timer = new Promise<void>((resolve) =>
      setTimeout(() => {
        order.push("timer");
        resolve();
      }, 0),
    );
    // Had consume() blocked the event loop for its 300 ms, it would resolve before any timer could run.
    const batch = await c.consume(300).then((b) => {
      order.push("consume");
      return b;
    });
    await timer;
    assert.deepEqual(order, ["timer", "consume"]);
    assert.deepEqual(batch, { records: [], errors: [], acknowledgements: [] });
  });

  it("acknowledge() and commitAsync() fail at once while a consume() runs, then work", async (t) => {
    const c = consumer(t);
    c.subscribe(["unit-topic"]);
    const consuming = c.consume(200);
    assert.equal(c.busy(), true);
    assert.throws(() => c.commitAsync(), { code: CONFLICT, message: /busy/ });
    assert.throws(() => c.acknowledge({ topic: "unit-topic", partition: 0, offset: 0 }), { code: CONFLICT });
    await consuming;
    assert.equal(c.busy(), false);
    c.commitAsync();
  });

  it("acknowledge() of a record it does not hold, or with an unknown type, is refused", (t) => {
    const c = consumer(t);
    c.subscribe(["unit-topic"]);
    assert.throws(() => c.acknowledge({ topic: "unit-topic", partition: 0, offset: 7 }), { code: STATE });
    assert.throws(
      () => c.acknowledge({ topic: "unit-topic", partition: 0, offset: 7 }, "MAYBE" as "ACCEPT"),
      /unknown acknowledgement type: MAYBE/,
    );
  });

  it("once closed, every call says it is closed", async (t) => {
    const c = consumer(t);
    c.subscribe(["unit-topic"]);
    assert.deepEqual(await c.close(), { acknowledgements: [] });
    await assert.rejects(c.consume(10), { code: STATE, message: /closed/ });
    assert.throws(() => c.commitAsync(), { code: STATE, message: /closed/ });
  });
});
