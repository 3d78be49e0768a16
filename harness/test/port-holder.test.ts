import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer } from "node:net";
import { describe, it } from "node:test";

import { describePortHolder, holdersIn, portTaken } from "../port-holder.ts";

describe("holdersIn", () => {
  it("names each process of an ss line, once per socket", () => {
    const line =
      'LISTEN 0 4096 127.0.0.1:9392 0.0.0.0:* users:(("toxiproxy-2.12",pid=4242,fd=9),("toxiproxy-2.12",pid=4243,fd=3))';
    assert.deepEqual(holdersIn(line), [
      { pid: 4242, name: "toxiproxy-2.12" },
      { pid: 4243, name: "toxiproxy-2.12" },
    ]);
  });

  it("names nobody when ss could not see the owner (another user's socket) or printed nothing", () => {
    assert.deepEqual(holdersIn("LISTEN 0 50 127.0.0.1:9392 0.0.0.0:*"), []);
    assert.deepEqual(holdersIn(""), []);
  });
});

describe("portTaken and describePortHolder", () => {
  it("see a port this process listens on, and name this process", async (t) => {
    const server = createServer();
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    t.after(() => server.close());
    const address = server.address();
    assert.ok(address !== null && typeof address !== "string");
    assert.equal(await portTaken(address.port), true);
    assert.match(await describePortHolder(address.port), new RegExp(`^pid ${process.pid} \\(.*node`));
    server.close();
    await once(server, "close");
    assert.equal(await portTaken(address.port), false);
  });
});
