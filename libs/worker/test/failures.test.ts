import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { FleetError } from "@kafka-fleet/service";

import { PROCESSING_FAILED, deadLetterCause } from "../src/failures.ts";
import { UnrecoverableError } from "../src/handler.ts";

describe("deadLetterCause (a dead letter's dlq.error.code and dlq.error.message)", () => {
  it("files whatever a handler throws without a code of its own under PROCESSING_FAILED, with its message", () => {
    assert.deepEqual(deadLetterCause(new Error("value 7 is rejected")), {
      code: PROCESSING_FAILED,
      message: "value 7 is rejected",
    });
    assert.equal(deadLetterCause(new TypeError("x is undefined")).code, PROCESSING_FAILED);
    assert.deepEqual(deadLetterCause("a string"), { code: PROCESSING_FAILED, message: "a string" });
  });

  it("keeps the code an UnrecoverableError carries, given or its default", () => {
    assert.deepEqual(deadLetterCause(new UnrecoverableError("no such customer", { code: "NO_CUSTOMER" })), {
      code: "NO_CUSTOMER",
      message: "no such customer",
    });
    assert.equal(deadLetterCause(new UnrecoverableError("bad")).code, "UNRECOVERABLE");
  });

  it("keeps the code of kafka-fleet's own failures", () => {
    const exhausted = new FleetError("SCHEMA", "field id missing");
    assert.deepEqual(deadLetterCause(exhausted), { code: "SCHEMA", message: "field id missing" });
  });
});
