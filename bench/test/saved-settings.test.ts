// The data a bench run saves names no path of the machine that ran it.
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";

import { REPO_ROOT } from "../lib/clients.ts";
import { withRepoRelativeOut } from "../report/write.ts";

describe("a run's saved settings", () => {
  it("name the output folder relative to the repository", () => {
    assert.deepEqual(withRepoRelativeOut({ out: `${REPO_ROOT}docs`, rounds: 3 }), { out: "docs", rounds: 3 });
    assert.deepEqual(withRepoRelativeOut({ out: REPO_ROOT }), { out: "." });
  });

  it("keep a folder outside the repository as a path from it, and settings without one as they are", () => {
    assert.deepEqual(withRepoRelativeOut({ out: join(REPO_ROOT, "..", "bench-out") }), {
      out: "../bench-out",
    });
    assert.deepEqual(withRepoRelativeOut({ rounds: 3 }), { rounds: 3 });
  });
});
