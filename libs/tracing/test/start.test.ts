import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";

const FIXTURE = fileURLToPath(new URL("./fixtures/start-and-list.ts", import.meta.url));

/** Runs the fixture in a process of its own: what it loads is only what startTracing made it load. */
function start(mode: "on" | "off"): { enabled: boolean; sdkLoaded: boolean } {
  const output = execFileSync(process.execPath, ["--import", "tsx", FIXTURE, mode], {
    // Nowhere to export to, and nothing is exported: the process starts no span.
    env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:9" },
    encoding: "utf8",
  });
  return JSON.parse(output) as { enabled: boolean; sdkLoaded: boolean };
}

describe("startTracing", () => {
  it("off: does not even load the SDK", () => {
    assert.deepEqual(start("off"), { enabled: false, sdkLoaded: false });
  });

  it("on: loads and starts it (the check above can see it)", () => {
    assert.deepEqual(start("on"), { enabled: true, sdkLoaded: true });
  });
});
