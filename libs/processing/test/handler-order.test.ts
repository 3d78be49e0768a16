import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setImmediate as turnOfTheLoop } from "node:timers/promises";

import { HandlerOrder, ReplayNeeded, partitionKey } from "@kafka-fleet/processing";

/** A batch's records on these partitions of topic "t" (offsets do not matter to the order, only partitions). */
const on = (...partitions: number[]) => partitions.map((partition) => ({ topic: "t", partition, offset: 0 }));

/** Whether a promise has settled, after the pending callbacks ran. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(
    () => (done = true),
    () => (done = true),
  );
  await turnOfTheLoop();
  return done;
}

describe("HandlerOrder", () => {
  it("takes a batch as its partitions' keys as well as its records", async () => {
    const order = new HandlerOrder();
    const a = order.register(on(0).map(partitionKey));
    const b = order.register(new Set(on(0, 1).map(partitionKey)).keys());
    const c = order.register(on(2).map(partitionKey));
    const bCalls = b.next();
    await c.next();
    assert.equal(await settled(bCalls), false, "b shares partition 0 with a, which has not called yet");
    await a.next();
    assert.equal(await settled(bCalls), true);
    for (const turn of [a, b, c]) assert.equal(await turn.settle(), true);
  });
  it("lets batches call in dispatch order, overlapping: a later one waits only for the earlier one's call", async () => {
    const order = new HandlerOrder();
    const a = order.register(on(0));
    const b = order.register(on(0, 1));
    const c = order.register(on(2));
    const bCalls = b.next();
    assert.equal(await settled(bCalls), false, "b waits until a has made its call");
    await c.next();
    await a.next();
    assert.equal(await settled(bCalls), true, "then b calls while a's call is still under way");
    assert.equal(await a.settle(), true);
    assert.equal(await b.settle(), true);
    assert.equal(await c.settle(), true);
    assert.equal(order.size, 0);
  });

  it("while a batch retries, later batches of its partitions wait for it; others go on", async () => {
    const order = new HandlerOrder();
    const a = order.register(on(0));
    await a.next();
    a.retrying();
    const b = order.register(on(0));
    const c = order.register(on(1));
    const bCalls = b.next();
    await c.next();
    await a.next(); // the retry
    assert.equal(await settled(bCalls), false, "b waits for a's retries to end");
    const aFinal = a.settle();
    assert.equal(await settled(bCalls), true);
    assert.equal(await aFinal, true);
  });

  it("a retry makes the later batches of its partitions that were already handed over start again, transitively", async () => {
    const order = new HandlerOrder();
    const a = order.register(on(0));
    const b = order.register(on(0, 1));
    const c = order.register(on(1));
    const d = order.register(on(2));
    for (const turn of [a, b, c, d]) await turn.next();
    // b's and d's calls ended well; c's is still under way.
    const bFinal = b.settle();
    const dFinal = d.settle();
    assert.equal(await dFinal, true, "d shares no partition with anything: final at once");

    a.retrying();
    assert.equal(await bFinal, false, "b was handed over before a's retry: it starts again");
    await assert.rejects(c.next(), ReplayNeeded, "c came after b on partition 1: it starts again too");
    assert.equal(await c.settle(), false);

    // The replays go in order behind a: b once a is over, c once b is over.
    const bAgain = b.next();
    const cAgain = c.next();
    await a.next();
    assert.equal(await settled(bAgain), false);
    assert.equal(await a.settle(), true);
    assert.equal(await settled(bAgain), true);
    assert.equal(
      await settled(cAgain),
      false,
      "c waits until b's replay is over: a replaying batch keeps its partitions",
    );
    assert.equal(await b.settle(), true);
    await cAgain;
    assert.equal(await c.settle(), true);
    assert.equal(order.size, 0);
  });

  it("a batch that never calls the handler (all its records poison) holds nothing once its run is over", async () => {
    const order = new HandlerOrder();
    const a = order.register(on(0));
    const b = order.register(on(0));
    const bCalls = b.next();
    assert.equal(await settled(bCalls), false);
    assert.equal(await a.settle(), true);
    assert.equal(await settled(bCalls), true);
  });
});
