import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { settledWithin } from "../src/loops/settled-within.ts";

describe("settledWithin", () => {
  it("is true when the promise settles first, resolved or rejected", async () => {
    assert.equal(await settledWithin(Promise.resolve(1), 60_000), true);
    assert.equal(await settledWithin(Promise.reject(new Error("no")), 60_000), true);
  });

  it("is false when the time passes first, and the promise may still settle later", async () => {
    const late = Promise.withResolvers<void>();
    assert.equal(await settledWithin(late.promise, 1), false);
    late.resolve();
    assert.equal(await settledWithin(late.promise, 1), true);
  });

  it("leaves no timer behind once the promise won (the process could exit at once)", async () => {
    const before = process.getActiveResourcesInfo().filter((kind) => kind === "Timeout").length;
    await settledWithin(Promise.resolve(), 60_000);
    const after = process.getActiveResourcesInfo().filter((kind) => kind === "Timeout").length;
    assert.equal(after, before);
  });
});
