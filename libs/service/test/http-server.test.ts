import assert from "node:assert/strict";
import { after, describe, it } from "node:test";

import { Counter } from "prom-client";

import { Health, createRegistry, startHttpServer } from "@kafka-fleet/service";

describe("the HTTP server", async () => {
  const registry = createRegistry("test-service");
  const produced = new Counter({
    name: "kafka_fleet_messages_produced_total",
    help: "h",
    registers: [registry],
  });
  let now = 0;
  const health = new Health({ stallAfterMs: 1000, now: () => now });
  const server = await startHttpServer({ port: 0, registry, health });
  after(() => server.close());
  const get = (path: string) => fetch(`http://127.0.0.1:${server.port}${path}`);

  it("serves the registry's metrics with the service label", async () => {
    produced.inc(3);
    const response = await get("/metrics");
    assert.equal(response.status, 200);
    const text = await response.text();
    assert.match(text, /^kafka_fleet_messages_produced_total\{service="test-service"\} 3$/m);
    assert.match(text, /^process_cpu_seconds_total\{service="test-service"\}/m);
  });

  it("answers /readyz from the health state", async () => {
    assert.equal((await get("/readyz")).status, 503);
    health.setReady(true, "connected");
    const response = await get("/readyz");
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: "ok", detail: "connected" });
  });

  it("answers /healthz 503 when the poll loop stalls", async () => {
    assert.equal((await get("/healthz")).status, 200);
    health.expectBeats(true);
    now += 1001;
    assert.equal((await get("/healthz")).status, 503);
    health.beat();
    assert.equal((await get("/healthz")).status, 200);
  });

  it("answers 404 elsewhere", async () => {
    assert.equal((await get("/nope")).status, 404);
  });

  it("listens on 127.0.0.1 unless told otherwise", () => {
    assert.equal(server.host, "127.0.0.1");
  });

  it("listens on the host it is given", async () => {
    const everywhere = await startHttpServer({ host: "0.0.0.0", port: 0, registry, health });
    try {
      assert.equal(everywhere.host, "0.0.0.0");
      assert.equal((await fetch(`http://127.0.0.1:${everywhere.port}/healthz`)).status, 200);
    } finally {
      await everywhere.close();
    }
  });

  it("says clearly that a host is not this machine's", async () => {
    // 192.0.2.0/24 is TEST-NET-1 (RFC 5737): no machine has such an address.
    await assert.rejects(startHttpServer({ host: "192.0.2.1", port: 0, registry, health }), {
      code: "HOST_UNAVAILABLE",
      message: /^cannot listen on 192\.0\.2\.1 \(EADDRNOTAVAIL\): set METRICS_HOST/,
    });
  });

  it("says clearly that a port is taken", async () => {
    await assert.rejects(startHttpServer({ port: server.port, registry, health }), {
      code: "PORT_IN_USE",
      message: new RegExp(`port ${server.port} is already in use: set METRICS_PORT`),
    });
  });
});
