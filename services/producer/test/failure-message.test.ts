// libs/kafka's errors state facts; the line a service exits with adds what to check (libs/kafka's kafkaFailureHints,
// which the producer's definition gives the service shell).
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  DeliveryError,
  KafkaAuthenticationError,
  KafkaUnreachableError,
  TopicMissingError,
} from "@kafka-fleet/kafka";
import { describeFailure as describeWithoutHints, isCodedFailure } from "@kafka-fleet/service";

import { producerService } from "../src/service.ts";

const describeFailure = (error: unknown) => describeWithoutHints(error, producerService().failureHints);

describe("the exit message of a Kafka failure", () => {
  it("names KAFKA_BOOTSTRAP_SERVERS and make cluster-up when no broker answers", () => {
    const error = new KafkaUnreachableError(["127.0.0.1:1"], 2000, new Error("Local: Timed out"));
    assert.deepEqual(describeFailure(error), {
      code: "KAFKA_UNREACHABLE",
      message:
        "could not reach Kafka at 127.0.0.1:1 within 2000 ms (Local: Timed out): " +
        "check KAFKA_BOOTSTRAP_SERVERS and that the cluster is running (make cluster-up)",
    });
  });

  it("names the KAFKA_CLIENT_ variables when the credentials are refused", () => {
    const { code, message } = describeFailure(new KafkaAuthenticationError(["h:9192"], new Error("x")));
    assert.equal(code, "KAFKA_AUTHENTICATION_FAILED");
    assert.match(message, /^authentication failed at h:9192 .*: check KAFKA_CLIENT_SASL_USERNAME, /);
    assert.match(message, /KAFKA_CLIENT_SASL_MECHANISM and KAFKA_CLIENT_SECURITY_PROTOCOL$/);
  });

  it("names the variable and how to create a missing topic", () => {
    assert.deepEqual(describeFailure(new TopicMissingError("orders", "KAFKA_TOPIC")), {
      code: "TOPIC_MISSING",
      message:
        "topic orders (KAFKA_TOPIC) does not exist: create it first " +
        "(make cluster-up creates topic_app; deploy/local/cluster.sh topic orders creates others; " +
        "make topic TOPIC=<input> a worker's input, its .dlq and .results)",
    });
  });

  it("recognises libs/kafka's errors as coded failures, keeping whether a retry could help", () => {
    const unreachable = new KafkaUnreachableError(["h:1"], 1, "x");
    const delivery = new DeliveryError("t", { code: -192, message: "Local: Message timed out" });
    assert.ok(isCodedFailure(unreachable) && unreachable.canRetry);
    assert.ok(isCodedFailure(delivery) && delivery.canRetry);
    const missing = new TopicMissingError("t");
    assert.ok(isCodedFailure(missing) && !missing.canRetry);
  });
});
