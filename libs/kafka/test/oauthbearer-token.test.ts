import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { OAuthBearerTokenError, oauthBearerPropertyProblems } from "@kafka-fleet/kafka";
import { expiryOf, toLibrdkafkaToken } from "@kafka-fleet/kafka/internal";

const NOW = Date.parse("2026-06-01T12:00:00Z");
const JWT = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.";
const SECRET = "s3cr3t-token-value";

function refusal(answer: unknown): string {
  try {
    toLibrdkafkaToken(answer, NOW);
  } catch (error) {
    assert.ok(error instanceof OAuthBearerTokenError, String(error));
    return error.message;
  }
  assert.fail("expected the answer to be refused");
}

describe("toLibrdkafkaToken", () => {
  it("shapes a provider's token for the binding: value, expiry in ms, principal, extensions", () => {
    assert.deepEqual(
      toLibrdkafkaToken(
        {
          token: JWT,
          expiresAt: new Date(NOW + 60_000),
          principal: "admin",
          extensions: { traceId: "abc 1" },
        },
        NOW,
      ),
      { tokenValue: JWT, lifetime: NOW + 60_000, principal: "admin", extensions: { traceId: "abc 1" } },
    );
  });

  it("takes milliseconds as well as a Date, and leaves principal and extensions empty when left out", () => {
    assert.deepEqual(toLibrdkafkaToken({ token: "abc==", expiresAt: NOW + 1.5 }, NOW), {
      tokenValue: "abc==",
      lifetime: NOW + 1,
      principal: "",
      extensions: {},
    });
  });

  it("refuses what is not a token object, naming what was expected", () => {
    assert.match(
      refusal(undefined),
      /^OAUTHBEARER token provider: returned undefined, expected \{ token, expiresAt \}$/,
    );
    assert.match(refusal(null), /returned null/);
    assert.match(refusal("eyJ..."), /returned string/);
  });

  it("refuses a missing, empty or malformed token without ever quoting it", () => {
    assert.match(refusal({ expiresAt: NOW + 1000 }), /token: expected a non-empty string/);
    assert.match(refusal({ token: "", expiresAt: NOW + 1000 }), /token: expected a non-empty string/);
    for (const token of [`Bearer ${SECRET}`, `${SECRET}\n`, `${SECRET}"`, `=${SECRET}`]) {
      const message = refusal({ token, expiresAt: NOW + 1000 });
      assert.match(message, /token: expected a bearer token/);
      assert.doesNotMatch(message, new RegExp(SECRET));
    }
  });

  it("refuses a principal that is not a string", () => {
    assert.match(
      refusal({ token: JWT, expiresAt: NOW + 1000, principal: 42 }),
      /principal: expected a string/,
    );
  });

  it("refuses extension names RFC 7628 does not allow, and values that are not printable strings", () => {
    assert.match(
      refusal({ token: JWT, expiresAt: NOW + 1000, extensions: ["a"] }),
      /extensions: expected an object/,
    );
    for (const name of ["auth", "trace_id", "x1", ""]) {
      assert.match(
        refusal({ token: JWT, expiresAt: NOW + 1000, extensions: { [name]: "v" } }),
        new RegExp(`extensions: "${name}" is not an extension name`),
      );
    }
    for (const value of [1, "tab\tok but nul\u0000 is not", "é"]) {
      assert.match(
        refusal({ token: JWT, expiresAt: NOW + 1000, extensions: { trace: value } }),
        /extensions: the value of "trace" must be a string of printable characters/,
      );
    }
  });
});

describe("expiryOf", () => {
  it("is the expiry in whole milliseconds when it is in the future", () => {
    assert.equal(expiryOf(new Date(NOW + 1), NOW), NOW + 1);
    assert.equal(expiryOf(NOW + 3_600_000.9, NOW), NOW + 3_600_000);
  });

  it("refuses an expiry now or past, saying when it was", () => {
    assert.throws(
      () => expiryOf(NOW, NOW),
      /^OAuthBearerTokenError: OAUTHBEARER token provider: expiresAt: the token expired at 2026-06-01T12:00:00.000Z \(now 2026-06-01T12:00:00.000Z\): return a fresh one$/,
    );
    assert.throws(() => expiryOf(new Date(NOW - 1), NOW), /the token expired at 2026-06-01T11:59:59.999Z/);
  });

  it("says so when the expiry was given in seconds (a JWT's exp) rather than milliseconds", () => {
    const exp = Math.floor(NOW / 1000) + 3600;
    assert.throws(
      () => expiryOf(exp, NOW),
      new RegExp(
        `expiresAt: ${exp} looks like seconds since the epoch \\(a JWT's exp\\): give milliseconds \\(exp \\* 1000\\) or a Date`,
      ),
    );
    // Seconds already past as seconds are simply expired.
    assert.throws(() => expiryOf(Math.floor(NOW / 1000) - 10_000_000_000, NOW), /the token expired/);
  });

  it("refuses what is not a time", () => {
    for (const bad of [undefined, "2026-06-01", Number.NaN, Number.POSITIVE_INFINITY, new Date("nonsense")]) {
      assert.throws(() => expiryOf(bad, NOW), /expiresAt: expected a Date or milliseconds since the epoch/);
    }
  });
});

describe("oauthBearerPropertyProblems", () => {
  it("takes SASL_SSL or SASL_PLAINTEXT, with OAUTHBEARER or no mechanism", () => {
    assert.deepEqual(oauthBearerPropertyProblems({ "security.protocol": "SASL_SSL" }), []);
    assert.deepEqual(
      oauthBearerPropertyProblems({ "security.protocol": "sasl_plaintext", "sasl.mechanism": "oauthbearer" }),
      [],
    );
  });

  it("names the variable that keeps a token provider from being used", () => {
    assert.deepEqual(oauthBearerPropertyProblems({}), [
      "KAFKA_CLIENT_SECURITY_PROTOCOL unset: a token provider needs SASL_SSL (or SASL_PLAINTEXT)",
    ]);
    assert.deepEqual(
      oauthBearerPropertyProblems({
        "security.protocol": "SSL",
        "sasl.mechanisms": "SCRAM-SHA-512",
        "sasl.oauthbearer.method": "OIDC",
        "enable.sasl.oauthbearer.unsecure.jwt": "true",
      }),
      [
        'KAFKA_CLIENT_SECURITY_PROTOCOL="SSL": a token provider needs SASL_SSL (or SASL_PLAINTEXT)',
        'KAFKA_CLIENT_SASL_MECHANISMS="SCRAM-SHA-512": a token provider is OAUTHBEARER (leave it unset or set OAUTHBEARER)',
        "KAFKA_CLIENT_SASL_OAUTHBEARER_METHOD=oidc: librdkafka would fetch the token itself; unset it to use the token provider",
        "KAFKA_CLIENT_ENABLE_SASL_OAUTHBEARER_UNSECURE_JWT: librdkafka's own test tokens cannot be used beside a token provider; unset it",
      ],
    );
  });
});
