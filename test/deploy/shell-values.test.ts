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
    { script: "deploy/local/cluster.sh", variable: "KAFKA_PORT_BASE" },
    { script: "deploy/local/fleet.sh", variable: "KAFKA_PORT_BASE" },
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

  // The cluster's ports are KAFKA_PORT_BASE and the 5 above it, and 100, 200 and 300 above those: a base out of 1024-65231
  // would put a listener on a privileged port or past 65535.
  for (const script of ["deploy/local/cluster.sh", "deploy/local/fleet.sh"]) {
    it(`${script} refuses KAFKA_PORT_BASE that leaves no room for the cluster's ports`, () => {
      for (const base of ["1023", "65232", "99999"]) {
        const result = spawnSync("bash", [join(REPO_ROOT, script), "status"], {
          env: { ...process.env, KAFKA_PORT_BASE: base },
          encoding: "utf8",
        });
        assert.equal(result.status, 2, result.stderr);
        assert.match(
          result.stderr.trim(),
          new RegExp(
            `^\\[\\w+\\] error: KAFKA_PORT_BASE="${base}": expected whole number from 1024 to 65231`,
          ),
        );
      }
    });
  }

  it("cluster.sh follows KAFKA_PORT_BASE on every node's listeners", () => {
    const result = spawnSync("bash", [join(REPO_ROOT, "deploy/local/cluster.sh"), "status"], {
      env: { ...process.env, KAFKA_PORT_BASE: "19092" },
      encoding: "utf8",
    });
    assert.deepEqual(
      [...result.stdout.matchAll(/broker 127\.0\.0\.1:(\d+)\s+controller 127\.0\.0\.1:(\d+)/g)].map((m) => [
        m[1],
        m[2],
      ]),
      [
        ["19092", "19093"],
        ["19094", "19095"],
        ["19096", "19097"],
      ],
      result.stdout,
    );
  });
});
