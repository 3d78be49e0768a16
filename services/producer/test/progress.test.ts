import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { progressReport } from "../src/progress.ts";

describe("progressReport", () => {
  it("derives rate, percent and ETA from acknowledged messages", () => {
    assert.deepEqual(
      progressReport({
        sent: 6000,
        acknowledged: 5000,
        resumeFrom: 4000n,
        failed: 0,
        total: 20_000,
        elapsedMs: 2000,
      }),
      {
        sent: 6000,
        acknowledged: 5000,
        resumeFrom: 4000n,
        failed: 0,
        total: 20_000,
        ratePerSecond: 2500,
        percent: 25,
        etaSeconds: 6,
      },
    );
  });

  it("has no percent or ETA when producing forever", () => {
    const report = progressReport({
      sent: 10,
      acknowledged: 10,
      resumeFrom: 10n,
      failed: 0,
      total: undefined,
      elapsedMs: 1000,
    });
    assert.equal(report.percent, undefined);
    assert.equal(report.etaSeconds, undefined);
    assert.equal(report.ratePerSecond, 10);
  });

  it("counts failed messages as settled, and knows no ETA before the first acknowledgement", () => {
    assert.equal(
      progressReport({ sent: 10, acknowledged: 8, resumeFrom: 8n, failed: 2, total: 10, elapsedMs: 10 })
        .etaSeconds,
      0,
    );
    assert.equal(
      progressReport({ sent: 5, acknowledged: 0, resumeFrom: 0n, failed: 0, total: 10, elapsedMs: 0 })
        .etaSeconds,
      undefined,
    );
  });
});
