// The audit CLI reads KAFKA_CLIENT_* the way the services do: checked before anything connects, a bad one exits 2
// naming its variable, and a secret's value never shows. (Against a secured cluster: test/integration/sasl.test.ts.)
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const cli = fileURLToPath(new URL("../src/cli.ts", import.meta.url));

async function audit(
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith("KAFKA_")),
  );
  const child = spawn(
    process.execPath,
    ["--import", "tsx", cli, "--topic", "t", "--from", "0", "--to", "10", "--bootstrap", "127.0.0.1:1"],
    { env: { ...inherited, ...env }, stdio: ["ignore", "pipe", "pipe"] },
  );
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const [code] = (await once(child, "exit")) as [number | null];
  return { code, stdout, stderr };
}

describe("the audit CLI's KAFKA_CLIENT_* variables", () => {
  it("exits 2 naming an unknown property's variable, before connecting", async () => {
    const { code, stdout, stderr } = await audit({ KAFKA_CLIENT_FOO_BAR: "1" });
    assert.equal(code, 2, stderr);
    assert.equal(stdout, "");
    assert.match(
      stderr,
      /^audit: invalid configuration: KAFKA_CLIENT_FOO_BAR: No such configuration property/,
    );
  });

  it("refuses what the reader sets itself", async () => {
    const { code, stderr } = await audit({ KAFKA_CLIENT_ISOLATION_LEVEL: "read_uncommitted" });
    assert.equal(code, 2, stderr);
    assert.match(stderr, /KAFKA_CLIENT_ISOLATION_LEVEL: isolation\.level is set by kafka-fleet/);
  });

  it("never prints a secret's value", async () => {
    const { code, stderr } = await audit({
      KAFKA_CLIENT_SASL_PASSWORD: "hunter2",
      KAFKA_CLIENT_SECURITY_PROTOCOL: "TLS",
    });
    assert.equal(code, 2, stderr);
    assert.match(stderr, /KAFKA_CLIENT_SECURITY_PROTOCOL: Invalid value "TLS"/);
    assert.doesNotMatch(stderr, /hunter2/);
  });
});
