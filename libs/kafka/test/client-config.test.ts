import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { clientPropertyProblems } from "@kafka-fleet/kafka";
import { baseClientConfig, reliableProducerConfig } from "@kafka-fleet/kafka/internal";

const identity = { bootstrapServers: ["localhost:9092"], service: "test" };

describe("clientPropertyProblems (librdkafka's own check, no broker)", () => {
  it("accepts real properties with valid values", () => {
    assert.deepEqual(
      clientPropertyProblems({
        "security.protocol": "SASL_SSL",
        "sasl.mechanism": "SCRAM-SHA-256",
        "sasl.username": "fleet",
        "sasl.password": "secret",
        "session.timeout.ms": "30000",
      }),
      [],
    );
  });

  it("names each unknown property and each value librdkafka refuses", () => {
    const problems = clientPropertyProblems({
      "foo.bar": "1",
      "security.protocol": "nope",
      "linger.ms": "soon",
    });
    assert.deepEqual(
      problems.map(({ property }) => property),
      ["foo.bar", "security.protocol", "linger.ms"],
    );
    assert.match(problems[0]?.message ?? "", /No such configuration property: "foo.bar"/);
    assert.match(problems[1]?.message ?? "", /Invalid value "nope"/);
  });

  it("keeps a secret's value out of the message", () => {
    const [problem] = clientPropertyProblems({ "security.protocol": "hunter2" }, () => true);
    assert.ok(problem);
    assert.doesNotMatch(problem.message, /hunter2/);
    assert.match(problem.message, /<redacted>/);
  });
});

describe("the user's properties in the client configurations", () => {
  it("come after kafka-fleet's defaults, so they win", () => {
    const properties = { "reconnect.backoff.max.ms": "5000", "linger.ms": "20", "security.protocol": "SSL" };
    const base = baseClientConfig({ ...identity, properties });
    assert.equal(base["reconnect.backoff.max.ms"], "5000");
    assert.equal(base["security.protocol" as keyof typeof base], "SSL");
    const producer = reliableProducerConfig({ ...identity, properties });
    assert.equal(producer["linger.ms"], "20");
    assert.equal(producer.acks, "all");
  });

  it("win over the linger a caller chose for its traffic, which otherwise replaces librdkafka's 5 ms", () => {
    assert.equal(reliableProducerConfig(identity)["linger.ms"], 5);
    assert.equal(reliableProducerConfig(identity, "output", 20)["linger.ms"], 20);
    const properties = { "linger.ms": "2" };
    assert.equal(reliableProducerConfig({ ...identity, properties }, "output", 20)["linger.ms"], "2");
  });
});
