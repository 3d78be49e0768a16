import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  ConfigError,
  FleetError,
  describeError,
  describeFailure,
  failureHint,
  isCodedFailure,
  type FailureHints,
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

/** Hints as a library's users give them, by code (libs/kafka's kafkaFailureHints is the fleet's table). */
const HINTS: FailureHints = {
  X_UNREACHABLE: () => "check X_SERVERS",
  X_TOPIC_MISSING: (error) => `create ${String((error as { topic?: unknown }).topic)} first`,
};

describe("describeFailure", () => {
  it("adds what to check, by code, to a library's facts", () => {
    assert.deepEqual(describeFailure(new LibraryError("X_UNREACHABLE", "could not reach h:1"), HINTS), {
      code: "X_UNREACHABLE",
      message: "could not reach h:1: check X_SERVERS",
    });
    const missing = new LibraryError("X_TOPIC_MISSING", "topic t does not exist", { topic: "t" });
    assert.equal(describeFailure(missing, HINTS).message, "topic t does not exist: create t first");
  });

  it("is describeError for codes without a hint, and for what is no FleetError", () => {
    for (const error of [
      new LibraryError("TOPIC_MISMATCH", "topic t exists with other settings"),
      new FleetError("PORT_IN_USE", "port 1 is already in use"),
      Object.assign(new Error("not ours"), { code: "X_UNREACHABLE" }),
      "a string",
    ]) {
      assert.deepEqual(describeFailure(error, HINTS), describeError(error));
    }
    assert.equal(failureHint(new LibraryError("COMMIT_FAILED", "commit failed"), HINTS), undefined);
    assert.equal(failureHint(new LibraryError("X_UNREACHABLE", "down")), undefined, "no hints, no hint");
  });
});
