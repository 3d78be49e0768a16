// OAUTHBEARER with the token from a function: the local cluster's OAUTHBEARER listener (deploy/local/cluster.sh,
// Kafka's unsecured JWT validator) takes a worker and the producer whose provider makes unsigned JWTs
// (test/e2e/fixtures/oauth-provider.ts); a provider that fails once is asked again and the worker runs; a token the
// brokers refuse, or a provider that keeps failing, ends the service with one line saying so.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { auditValues, readTopicValues } from "@kafka-fleet/audit";

import {
  BOOTSTRAP,
  REPO_ROOT,
  createInputTopic,
  createTestTopic,
  deleteGroupAfter,
  uniqueName,
} from "../../harness/kafka.ts";
import { OAUTH_CLIENT } from "../../harness/oauthbearer.ts";
import {
  metricsOf,
  metricValue,
  startService,
  stopGracefully,
  waitForAssignment,
  waitForRecords,
} from "../../harness/services.ts";

const VALUES = 2_000;
const consumerFixture = { path: `${REPO_ROOT}test/e2e/fixtures/oauth-batch-consumer.ts` };
const producerFixture = { path: `${REPO_ROOT}test/e2e/fixtures/oauth-producer.ts` };
const REFRESHES = "kafka_fleet_oauthbearer_refreshes_total";

/** A provider's retry comes about 10 s after a failure: the start must outlast one. */
const oauth = (provider: string, connectTimeoutMs = 30_000) => ({
  ...OAUTH_CLIENT,
  TEST_TOKEN_PROVIDER: provider,
  KAFKA_CONNECT_TIMEOUT_MS: String(connectTimeoutMs),
});

describe("a token provider on an OAUTHBEARER listener", () => {
  for (const provider of ["jwt", "fail-once"]) {
    it(`carries a range from the producer through a batch worker (provider: ${provider})`, async (t) => {
      const input = await createInputTopic(t, "oauth-in");
      const results = await createTestTopic(t, "oauth-results");
      const group = uniqueName("oauth");
      deleteGroupAfter(t, group);

      const consumer = startService(t, consumerFixture, {
        ...oauth(provider),
        KAFKA_TOPIC: input,
        RESULTS_TOPIC: results,
        CONSUMER_GROUP: group,
      });
      await waitForAssignment(consumer);
      const producer = startService(t, producerFixture, {
        ...oauth(provider),
        KAFKA_TOPIC: input,
        PRODUCE_TO: String(VALUES),
      });
      assert.equal((await producer.exited).code, 0, producer.stderr());
      await waitForRecords(results, VALUES);

      // admin, output producer and consumer each took a token; the failure, when there was one, was logged once.
      const page = await metricsOf(consumer);
      const failures = provider === "fail-once" ? 1 : 0;
      assert.ok(metricValue(page, REFRESHES, { result: "ok" }) >= 3, page);
      assert.equal(metricValue(page, REFRESHES, { result: "failed" }), failures);
      const failed = consumer.logs.filter((line) => line.event === "kafka.oauthbearer_failed");
      assert.equal(failed.length, failures, JSON.stringify(failed));
      if (failures > 0) assert.match(String(failed[0]?.msg), /token service unavailable \(first call\)/);
      assert.equal(await stopGracefully(consumer), 0, consumer.stderr());

      const { values } = await readTopicValues({ bootstrapServers: BOOTSTRAP, topic: results });
      const report = auditValues({ from: 0n, to: BigInt(VALUES) }, values);
      assert.deepEqual([report.missing, report.duplicates], [0, 0]);
    });
  }

  const refusals = [
    { provider: "no-subject", why: /the brokers refused the OAUTHBEARER token from the provider/ },
    { provider: "down", why: /no OAUTHBEARER token: .*token service unavailable/ },
  ];
  for (const { provider, why } of refusals) {
    it(`exits 1 with one line saying why when there is no usable token (provider: ${provider})`, async (t) => {
      const input = await createInputTopic(t, "oauth-refused");
      const running = startService(t, consumerFixture, { ...oauth(provider, 10_000), KAFKA_TOPIC: input });
      assert.equal((await running.exited).code, 1);
      const failed = running.logs.find((line) => line.event === "service.failed");
      assert.equal(failed?.code, "KAFKA_AUTHENTICATION_FAILED", JSON.stringify(failed));
      assert.match(String(failed?.message), why);
      assert.match(String(failed?.message), /check the token provider/);
      assert.equal(running.stderr(), "", "no stack trace");
    });
  }

  it("exits 2 naming the variable when the client properties cannot carry a token", async (t) => {
    const running = startService(t, consumerFixture, {
      ...oauth("jwt"),
      KAFKA_CLIENT_SECURITY_PROTOCOL: "SASL_PLAINTEXT",
      KAFKA_CLIENT_SASL_MECHANISM: "PLAIN",
    });
    assert.equal((await running.exited).code, 2);
    assert.match(
      running.stderr() + JSON.stringify(running.logs),
      /KAFKA_CLIENT_SASL_MECHANISM="PLAIN": a token provider is OAUTHBEARER/,
    );
  });
});
