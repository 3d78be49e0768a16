import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { OAuthBearerRefresh, type LogFields, type OAuthBearerToken } from "@kafka-fleet/kafka";

function recorder() {
  const lines: Array<{ level: string; fields: LogFields; message?: string }> = [];
  const log = (level: string) => (fields: LogFields, message?: string) =>
    lines.push({ level, fields, message });
  const counts = new Map<string, number>();
  return {
    lines,
    counts,
    logger: { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") },
    refreshes: {
      inc: (labels: { result?: string | number }) =>
        counts.set(String(labels.result), (counts.get(String(labels.result)) ?? 0) + 1),
    },
  };
}

const token = (): OAuthBearerToken => ({ token: "abc.def.", expiresAt: Date.now() + 60_000, principal: "p" });

/** Calls the refresh callback of `refresh`'s settings as the binding does, and what it hands over. */
function refreshOnce(refresh: OAuthBearerRefresh, onToken?: () => void) {
  return refresh.settings("output", onToken).oauthbearer_token_refresh_cb();
}

describe("OAuthBearerRefresh", () => {
  it("sets OAUTHBEARER and hands the provider's token over, shaped for the binding", async () => {
    const seen = recorder();
    const refresh = new OAuthBearerRefresh({ provider: () => Promise.resolve(token()), ...seen });
    assert.equal(refresh.settings("output")["sasl.mechanism"], "OAUTHBEARER");
    let told = 0;
    const handed = await refreshOnce(refresh, () => (told += 1));
    assert.deepEqual([handed.tokenValue, handed.principal, told], ["abc.def.", "p", 1]);
    assert.equal(seen.counts.get("ok"), 1);
    assert.equal(seen.lines[0]?.fields.event, "kafka.oauthbearer_refreshed");
    assert.equal(refresh.lastFailure, undefined);
  });

  it("logs and counts a provider's failure once, rethrows it for librdkafka, and forgets it after a success", async () => {
    const seen = recorder();
    let calls = 0;
    const refresh = new OAuthBearerRefresh({
      provider: () => (++calls === 1 ? Promise.reject(new Error("IAM down")) : Promise.resolve(token())),
      ...seen,
    });
    const failure = await refreshOnce(refresh).then(
      () => assert.fail("expected the refresh to fail"),
      (error: unknown) => error,
    );
    assert.match(String(failure), /IAM down/);
    assert.equal(refresh.lastFailure, "IAM down");
    // The binding emits the same error as the client's 'error' event: not logged or counted again.
    refresh.errorListener("output")(failure);
    const failed = seen.lines.filter((line) => line.fields.event === "kafka.oauthbearer_failed");
    assert.equal(failed.length, 1);
    assert.equal(failed[0]?.level, "warn");
    assert.match(String(failed[0]?.message), /no OAUTHBEARER token: IAM down; librdkafka asks again/);
    assert.equal(seen.counts.get("failed"), 1);

    await refreshOnce(refresh);
    assert.equal(refresh.lastFailure, undefined);
    assert.equal(seen.counts.get("ok"), 1);
  });

  it("refuses an unusable token as a failure, without quoting it", async () => {
    const seen = recorder();
    const secret = "secret value with spaces";
    const refresh = new OAuthBearerRefresh({
      provider: () => Promise.resolve({ token: secret, expiresAt: Date.now() + 1000 }),
      ...seen,
    });
    await assert.rejects(refreshOnce(refresh), /token: expected a bearer token/);
    assert.doesNotMatch(JSON.stringify(seen.lines) + String(refresh.lastFailure), /secret value/);
    assert.equal(seen.counts.get("failed"), 1);
  });

  it("logs and counts an error event it did not raise itself (librdkafka refusing a token)", () => {
    const seen = recorder();
    const refresh = new OAuthBearerRefresh({ provider: () => Promise.resolve(token()), ...seen });
    refresh.errorListener("consumer")(new Error("oauthbearer_token_refresh_cb: Local: Invalid argument"));
    assert.equal(seen.counts.get("failed"), 1);
    assert.equal(seen.lines[0]?.fields.client, "consumer");
    assert.match(String(refresh.lastFailure), /Invalid argument/);
  });
});
