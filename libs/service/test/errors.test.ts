import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  ConfigError,
  FleetError,
  describeError,
  describeFailure,
  failureHint,
  isCodedFailure,
} from "@kafka-fleet/service";

/** Shaped like libs/kafka's KafkaError, which does not extend FleetError (that library does not import this one). */
class LibraryError extends Error {
  readonly code: string;
  readonly canRetry: boolean;
  readonly topic?: string;

  constructor(code: string, message: string, extra: { canRetry?: boolean; topic?: string } = {}) {
    super(message);
    this.code = code;
    this.canRetry = extra.canRetry ?? false;
    if (extra.topic !== undefined) this.topic = extra.topic;
  }
}

describe("FleetError", () => {
  it("is an ordinary class; isCodedFailure recognises the shape: a string code and a boolean canRetry on an Error", () => {
    assert.ok(new FleetError("X", "x") instanceof FleetError);
    assert.ok(isCodedFailure(new FleetError("X", "x")));
    assert.ok(!(new LibraryError("KAFKA_UNREACHABLE", "down", { canRetry: true }) instanceof FleetError));
    assert.ok(isCodedFailure(new LibraryError("KAFKA_UNREACHABLE", "down", { canRetry: true })));
    assert.ok(!isCodedFailure(Object.assign(new Error("econnrefused"), { code: "ECONNREFUSED" })));
    assert.ok(!isCodedFailure({ code: "X", canRetry: false, message: "not an Error" }));
    assert.ok(!isCodedFailure(undefined));
  });

  it("leaves subclasses their ordinary class check", () => {
    assert.ok(new ConfigError(["A=1: bad"]) instanceof ConfigError);
    assert.ok(new ConfigError(["A=1: bad"]) instanceof FleetError);
    assert.ok(!(new FleetError("CONFIG_INVALID", "x") instanceof ConfigError));
    assert.ok(!(new LibraryError("CONFIG_INVALID", "x") instanceof ConfigError));
  });
});

describe("describeFailure", () => {
  it("adds what to check, by code, to a library's facts", () => {
    assert.deepEqual(
      describeFailure(new LibraryError("KAFKA_UNREACHABLE", "could not reach Kafka at h:1 within 5 ms (x)")),
      {
        code: "KAFKA_UNREACHABLE",
        message:
          "could not reach Kafka at h:1 within 5 ms (x): check KAFKA_BOOTSTRAP_SERVERS and that the cluster is " +
          "running (make cluster-up)",
      },
    );
    assert.match(
      describeFailure(new LibraryError("KAFKA_AUTHENTICATION_FAILED", "authentication failed at h:1"))
        .message,
      /^authentication failed at h:1: check KAFKA_CLIENT_SASL_USERNAME, KAFKA_CLIENT_SASL_PASSWORD, /,
    );
    assert.equal(
      describeFailure(
        new LibraryError("TOPIC_MISSING", "topic t (KAFKA_TOPIC) does not exist", { topic: "t" }),
      ).message,
      "topic t (KAFKA_TOPIC) does not exist: create it first " +
        "(make cluster-up creates topic_app; deploy/local/cluster.sh topic t creates others)",
    );
  });

  it("is describeError for codes without a hint, and for what is no FleetError", () => {
    for (const error of [
      new LibraryError("TOPIC_MISMATCH", "topic t exists with other settings"),
      new FleetError("PORT_IN_USE", "port 1 is already in use"),
      Object.assign(new Error("not ours"), { code: "KAFKA_UNREACHABLE" }),
      "a string",
    ]) {
      assert.deepEqual(describeFailure(error), describeError(error));
    }
    assert.equal(failureHint(new LibraryError("COMMIT_FAILED", "commit failed")), undefined);
  });
});
