// Several topics or a pattern per worker: the parsing of KAFKA_TOPIC and KAFKA_TOPIC_PATTERN, the per-topic names of
// DLQ_TOPIC and RESULTS_TOPIC, and what a worker's configuration makes of them. No broker.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { ConfigError } from "@kafka-fleet/service";
import { loadBatchWorkerConfig, loadSingleWorkerConfig, resultsTopicOf } from "@kafka-fleet/worker";

import {
  isRouteOutput,
  parseTopicList,
  parseTopicPattern,
  parseTopicRoute,
  refusedInput,
  routeOf,
  subscriptionList,
  topicsMatching,
} from "../src/topic-routes.ts";

const problemOf = (parsed: { ok: boolean; problem?: string }) => (parsed.ok ? undefined : parsed.problem);

/** The one line a configuration is refused with. */
function refusal(load: () => unknown): string {
  try {
    load();
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    assert.equal(error.problems.length, 1, error.message);
    return error.problems[0]!;
  }
  assert.fail("the configuration was accepted");
}

describe("topic routes: parsing", () => {
  it("reads KAFKA_TOPIC as one name or several, comma-separated, trimmed, each once", () => {
    assert.deepEqual(parseTopicList("orders"), { ok: true, value: ["orders"] });
    assert.deepEqual(parseTopicList("orders, payments ,refunds"), {
      ok: true,
      value: ["orders", "payments", "refunds"],
    });
    assert.match(problemOf(parseTopicList("orders,,payments"))!, /"" is not a Kafka topic name/);
    assert.match(problemOf(parseTopicList("orders,pay ments"))!, /"pay ments" is not a Kafka topic name/);
    assert.match(problemOf(parseTopicList("orders,.."))!, /cannot be named/);
    assert.equal(problemOf(parseTopicList("orders,payments,orders")), "orders is listed twice");
  });

  it("takes a pattern that starts with ^ and compiles, and says why another is refused", () => {
    assert.deepEqual(parseTopicPattern("^orders-[^.]+$"), { ok: true, value: "^orders-[^.]+$" });
    assert.match(problemOf(parseTopicPattern("orders-.*"))!, /starting with \^/);
    assert.match(problemOf(parseTopicPattern("^orders-(["))!, /not a regular expression/);
  });

  it("matches a pattern against topic names as librdkafka anchors it: from the start", () => {
    const topics = ["orders-eu", "orders-us", "orders-eu.dlq", "old-orders-eu", "payments"];
    assert.deepEqual(topicsMatching("^orders-[^.]+$", topics), ["orders-eu", "orders-us"]);
    assert.deepEqual(topicsMatching("^orders-.*", topics), ["orders-eu", "orders-eu.dlq", "orders-us"]);
    assert.deepEqual(topicsMatching("^nothing", topics), []);
  });

  it("reads DLQ_TOPIC and RESULTS_TOPIC as a topic or a rule with {topic} once", () => {
    assert.deepEqual(parseTopicRoute("dead"), { ok: true, value: "dead" });
    assert.deepEqual(parseTopicRoute("{topic}.dlq"), { ok: true, value: "{topic}.dlq" });
    assert.deepEqual(parseTopicRoute("dlq-{topic}"), { ok: true, value: "dlq-{topic}" });
    assert.match(problemOf(parseTopicRoute("{topic}.{topic}"))!, /once/);
    assert.match(problemOf(parseTopicRoute("{topic}/dlq"))!, /only a-z/);
    assert.match(problemOf(parseTopicRoute("dead letters"))!, /not a Kafka topic name/);
    assert.match(problemOf(parseTopicRoute("{topics}.dlq"))!, /not a Kafka topic name/);
  });
});

describe("topic routes: naming", () => {
  it("routes each source topic by the rule, or every one to the named topic", () => {
    assert.equal(routeOf("{topic}.dlq", "orders"), "orders.dlq");
    assert.equal(routeOf("{topic}.results", "payments"), "payments.results");
    assert.equal(routeOf("dead", "orders"), "dead");
    assert.equal(resultsTopicOf({ resultsTopic: "{topic}.results" }, "orders"), "orders.results");
    assert.equal(resultsTopicOf({ resultsTopic: "all-results" }, "orders"), "all-results");
    assert.equal(resultsTopicOf({ resultsTopic: undefined }, "orders"), undefined);
  });

  it("knows which names are a route's outputs", () => {
    assert.equal(isRouteOutput("{topic}.dlq", "orders.dlq"), true);
    assert.equal(isRouteOutput("{topic}.dlq", ".dlq"), false, "{topic} stands for at least one character");
    assert.equal(isRouteOutput("{topic}.dlq", "orders"), false);
    assert.equal(isRouteOutput("dlq-{topic}", "dlq-orders"), true);
    assert.equal(isRouteOutput("dead", "dead"), true);
    assert.equal(isRouteOutput("dead", "dead.dlq"), false);
  });

  it("refuses, for a pattern's topic, the worker's own dead-letter and results topics, naming the variable", () => {
    const routes = { dlq: "{topic}.dlq", results: "{topic}.results" };
    assert.equal(refusedInput(routes, "orders-eu"), undefined);
    assert.match(refusedInput(routes, "orders-eu.dlq")!, /matches orders-eu\.dlq, .* DLQ_TOPIC .*loop/);
    assert.match(refusedInput(routes, "orders-eu.results")!, /RESULTS_TOPIC/);
    assert.match(refusedInput({ dlq: "dead", results: undefined }, "dead")!, /DLQ_TOPIC \(dead\)/);
    assert.equal(refusedInput({ dlq: "dead", results: undefined }, "orders-eu.results"), undefined);
  });
});

describe("a worker's topics in its configuration", () => {
  for (const [mode, load] of [
    ["batch", loadBatchWorkerConfig],
    ["single", loadSingleWorkerConfig],
  ] as const) {
    it(`${mode}: reads topic_app by default, a list, or a pattern`, () => {
      const defaults = load({}, "w");
      assert.deepEqual([defaults.topics, defaults.pattern], [["topic_app"], undefined]);
      assert.equal(defaults.dlqTopic, "{topic}.dlq");
      const listed = load({ KAFKA_TOPIC: "orders,payments" }, "w");
      assert.deepEqual(subscriptionList(listed), ["orders", "payments"]);
      const pattern = load({ KAFKA_TOPIC_PATTERN: "^orders-[^.]+$" }, "w");
      assert.deepEqual([pattern.topics, pattern.pattern], [[], "^orders-[^.]+$"]);
      assert.deepEqual(subscriptionList(pattern), ["^orders-[^.]+$"]);
    });

    it(`${mode}: refuses KAFKA_TOPIC and KAFKA_TOPIC_PATTERN together in one line naming both`, () => {
      const line = refusal(() => load({ KAFKA_TOPIC: "orders", KAFKA_TOPIC_PATTERN: "^orders-.*" }, "w"));
      assert.equal(
        line,
        'KAFKA_TOPIC="orders" and KAFKA_TOPIC_PATTERN="^orders-.*" are both set: a worker reads listed topics ' +
          "or a pattern's, not both; unset one",
      );
      // Empty is unset, as for every variable.
      assert.equal(load({ KAFKA_TOPIC: "", KAFKA_TOPIC_PATTERN: "^orders-.*" }, "w").pattern, "^orders-.*");
    });
  }

  it("names the variable, its value and what was expected for a bad list, pattern or route", () => {
    assert.match(
      refusal(() => loadBatchWorkerConfig({ KAFKA_TOPIC: "a,b,a" }, "w")),
      /^KAFKA_TOPIC="a,b,a": a is listed twice$/,
    );
    assert.match(
      refusal(() => loadBatchWorkerConfig({ KAFKA_TOPIC_PATTERN: "orders" }, "w")),
      /^KAFKA_TOPIC_PATTERN="orders": expected a regular expression starting with \^/,
    );
    assert.match(
      refusal(() => loadBatchWorkerConfig({ DLQ_TOPIC: "{topic}.{topic}" }, "w")),
      /^DLQ_TOPIC=/,
    );
    assert.match(
      refusal(() => loadBatchWorkerConfig({ RESULTS_TOPIC: "a b" }, "w")),
      /^RESULTS_TOPIC=/,
    );
  });

  it("refuses a listed topic that is where the worker writes another's (or its own) records", () => {
    assert.match(
      refusal(() => loadBatchWorkerConfig({ KAFKA_TOPIC: "orders,orders.dlq" }, "w")),
      /^KAFKA_TOPIC lists orders\.dlq, where DLQ_TOPIC sends orders's records/,
    );
    assert.match(
      refusal(() => loadBatchWorkerConfig({ KAFKA_TOPIC: "orders,out", RESULTS_TOPIC: "out" }, "w")),
      /^KAFKA_TOPIC lists out, where RESULTS_TOPIC sends orders's records/,
    );
    // Reading another worker's dead letters on purpose is fine: they go to orders.dlq.dlq.
    assert.deepEqual(loadBatchWorkerConfig({ KAFKA_TOPIC: "orders.dlq" }, "w").topics, ["orders.dlq"]);
  });

  it("checks each listed topic's routed names against Kafka's 249 characters", () => {
    const long = "t".repeat(242);
    assert.match(
      refusal(() =>
        loadBatchWorkerConfig({ KAFKA_TOPIC: `short,${long}`, RESULTS_TOPIC: "{topic}.results" }, "w"),
      ),
      /^RESULTS_TOPIC="\{topic\}\.results" gives t+…, 250 characters/,
    );
    assert.doesNotThrow(() =>
      loadBatchWorkerConfig({ KAFKA_TOPIC: `short,${long}`, RESULTS_TOPIC: "{topic}.r" }, "w"),
    );
    assert.match(
      refusal(() => loadBatchWorkerConfig({ KAFKA_TOPIC: `${long}xxxx` }, "w")),
      /^DLQ_TOPIC: the default .* 250 characters, over Kafka's 249: set DLQ_TOPIC$/,
    );
  });

  it("exactly-once still needs RESULTS_TOPIC, and takes a rule", () => {
    const config = loadBatchWorkerConfig(
      { KAFKA_TOPIC: "a,b", RESULTS_TOPIC: "{topic}.results", PROCESSING_GUARANTEE: "exactly_once" },
      "w",
    );
    assert.equal(config.exactlyOnce, true);
    assert.equal(resultsTopicOf(config, "b"), "b.results");
  });
});
