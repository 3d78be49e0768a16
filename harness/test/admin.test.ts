import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { ErrorCodes } from "@kafka-fleet/kafka";

import { TopicMismatchError, isCoordinatorBusy, whileCoordinatorBusy } from "../admin.ts";

const failure = (code: number) => Object.assign(new Error(`code ${code}`), { code });

/** A request that fails with `codes` in turn, then answers "done"; counts its calls. */
function flaky(...codes: number[]) {
  const request = () => {
    request.calls += 1;
    const code = codes.shift();
    return code === undefined ? Promise.resolve("done") : Promise.reject(failure(code));
  };
  request.calls = 0;
  return request;
}

describe("whileCoordinatorBusy", () => {
  it("repeats a group request while its coordinator is loading or moving, then answers", async () => {
    const request = flaky(
      ErrorCodes.ERR_COORDINATOR_LOAD_IN_PROGRESS,
      ErrorCodes.ERR_NOT_COORDINATOR,
      ErrorCodes.ERR_COORDINATOR_NOT_AVAILABLE,
    );
    assert.equal(await whileCoordinatorBusy(request, 1_000, 1), "done");
    assert.equal(request.calls, 4);
  });

  it("passes any other failure on at once", async () => {
    const request = flaky(ErrorCodes.ERR_GROUP_ID_NOT_FOUND);
    await assert.rejects(whileCoordinatorBusy(request, 1_000, 1), /code 69/);
    assert.equal(request.calls, 1);
  });

  it("gives up with the coordinator's error once the time is up", async () => {
    const request = flaky(...Array<number>(1000).fill(ErrorCodes.ERR_COORDINATOR_LOAD_IN_PROGRESS));
    await assert.rejects(whileCoordinatorBusy(request, 30, 10), (error: unknown) => isCoordinatorBusy(error));
    assert.ok(request.calls >= 2 && request.calls <= 4, `${request.calls} calls`);
  });
});

// As libs/kafka's errors (libs/kafka/test/standalone.test.ts): a stable code and the facts, no hint.
describe("the harness's TopicMismatchError", () => {
  const error = new TopicMismatchError("orders", ["2 partitions, expected 6"]);

  it("TOPIC_MISMATCH: a stable code and the facts, no hint naming a variable or a command", () => {
    assert.equal(error.code, "TOPIC_MISMATCH");
    assert.equal(typeof error.canRetry, "boolean");
    assert.ok(error instanceof Error);
    const own = error.message.replace("(KAFKA_TOPIC)", "");
    assert.doesNotMatch(own, /\bmake\b|cluster\.sh|\bcheck\b|KAFKA_[A-Z_]+|deploy\//, error.message);
  });
});
