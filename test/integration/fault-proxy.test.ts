// The chaos suite's fault proxy against the real cluster: a client bootstrapped through it reaches every broker
// through it (the PROXIED listeners advertise the proxy's ports), a cut stops all of its traffic, and the lossy
// network delays bytes without ever dropping or reordering one.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";

import { readTopicValues } from "@kafka-fleet/audit";
import { DeliveryProducer } from "@kafka-fleet/kafka";
import { serializeInt } from "@kafka-fleet/serde";

import { FaultProxy, PROXIED_BOOTSTRAP } from "../../harness/chaos/toxiproxy.ts";
import { BOOTSTRAP, createTestTopic, quietLogger, type AfterHook } from "../../harness/kafka.ts";

const proxiedIdentity = { bootstrapServers: PROXIED_BOOTSTRAP.split(","), service: "test" };

async function proxiedProducer(t: AfterHook): Promise<DeliveryProducer> {
  const producer = await DeliveryProducer.connect({
    identity: proxiedIdentity,
    logger: quietLogger,
    connectTimeoutMs: 30_000,
  });
  t.after(() => producer.close(5_000));
  return producer;
}

const messages = (topic: string, from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => ({ topic, value: serializeInt(BigInt(from + i)) }));

describe("the fault proxy between clients and brokers", () => {
  it("carries every connection of a client bootstrapped through it: cut, nothing is acknowledged; restored, everything once", async (t) => {
    const proxy = await FaultProxy.start(t);
    // 6 partitions: leaders on all three brokers.
    const topic = await createTestTopic(t, "fault-proxy-cut");
    const producer = await proxiedProducer(t);
    await producer.sendAll(messages(topic, 0, 100));

    await proxy.cut();
    let settled = false;
    const duringCut = producer.sendAll(messages(topic, 100, 200)).finally(() => (settled = true));
    // Were any broker reached directly (an address not advertised by the proxy), some of these would be
    // acknowledged meanwhile.
    await sleep(3_000);
    assert.equal(settled, false, "nothing sent during the cut is acknowledged");
    await proxy.restore();
    await duringCut;

    const { values } = await readTopicValues({ bootstrapServers: BOOTSTRAP, topic });
    assert.deepEqual(
      values.map(Number).sort((a, b) => a - b),
      Array.from({ length: 200 }, (_, i) => i),
      "every value once: the requests lost in the cut were retried, idempotently",
    );
  });

  it("holds bytes back on a lossy link but never drops or reorders one, in either direction", async (t) => {
    const proxy = await FaultProxy.start(t);
    const topic = await createTestTopic(t, "fault-proxy-loss", 1);
    // Every segment lost: every chunk of every stream is held back, the most the toxic can do.
    await proxy.degrade({ latencyMs: 5, jitterMs: 0, loss: 1, stallMs: 5 });
    const producer = await proxiedProducer(t);
    for (let from = 0; from < 2_000; from += 500) await producer.sendAll(messages(topic, from, from + 500));

    const read = await readTopicValues({ bootstrapServers: PROXIED_BOOTSTRAP.split(","), topic });
    assert.equal(read.unreadable, 0);
    assert.deepEqual(
      read.values.map(Number),
      Array.from({ length: 2_000 }, (_, i) => i),
      "the one partition read back through the proxy, in order",
    );
  });
});
