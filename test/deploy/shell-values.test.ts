// The local scripts read numbers from the environment and do arithmetic with them. Bash evaluates a variable's
// text inside $(( )), command substitutions included, so a value must be checked before it gets there: a bad one
// exits 2 with one line, and no part of it runs (PATH[$(cmd)] runs cmd where PATH is set: an unset name stops at set -u).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";

import { REPO_ROOT } from "../../harness/process.ts";

describe("the local scripts' numeric variables", () => {
  const cases = [
    { script: "deploy/local/fleet.sh", variable: "SHUTDOWN_GRACE_MS" },
    { script: "deploy/local/cluster.sh", variable: "KAFKA_WAIT_TIMEOUT_S" },
    { script: "deploy/local/cluster.sh", variable: "KAFKA_STOP_TIMEOUT_S" },
  ];
  for (const { script, variable } of cases) {
    it(`${script} refuses ${variable} that is not a whole number, and runs none of it`, () => {
      const marker = join(mkdtempSync(join(tmpdir(), "shell-values-")), "ran");
      const result = spawnSync("bash", [join(REPO_ROOT, script), "status"], {
        env: { ...process.env, [variable]: `PATH[$(touch ${marker})]` },
        encoding: "utf8",
      });
      assert.equal(existsSync(marker), false, "the value's command substitution ran");
      assert.equal(result.status, 2, result.stderr);
      const lines = result.stderr.trim().split("\n");
      assert.equal(lines.length, 1, result.stderr);
      assert.match(lines[0] ?? "", new RegExp(`${variable}=.*expected whole`));
    });
  }
});
