import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { auditValues } from "@kafka-fleet/audit";

describe("auditValues", () => {
  it("reports a complete range as complete", () => {
    const report = auditValues({ from: 0n, to: 5n }, [4n, 0n, 2n, 1n, 3n]);
    assert.deepEqual(report, {
      expected: 5,
      seen: 5,
      missing: 0,
      missingSample: [],
      duplicates: 0,
      duplicateSample: [],
      outOfRange: 0,
      unreadable: 0,
    });
  });

  it("counts missing values and extra copies, with samples", () => {
    const report = auditValues({ from: 10n, to: 15n }, [10n, 11n, 11n, 11n, 14n, 99n], 2);
    assert.equal(report.missing, 2);
    assert.deepEqual(report.missingSample, ["12", "13"]);
    assert.equal(report.duplicates, 2);
    assert.deepEqual(report.duplicateSample, ["11"]);
    assert.equal(report.outOfRange, 1);
    assert.equal(report.unreadable, 2);
    assert.equal(report.seen, 5);
  });

  it("works with negative ranges", () => {
    const report = auditValues({ from: -3n, to: 0n }, [-3n, -1n]);
    assert.deepEqual(report.missingSample, ["-2"]);
  });
});
