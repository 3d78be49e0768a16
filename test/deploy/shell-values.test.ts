// The local scripts read numbers from the environment and do arithmetic with them. Bash evaluates a variable's
// text inside $(( )), command substitutions included, so a value must be checked before it gets there: a bad one
// exits 2 with one line, and no part of it runs (PATH[$(cmd)] runs cmd where PATH is set: an unset name stops at set -u).
// The Makefile passes a user's values (NAME, ONLY, *_ARGS) on as data: neither make nor a shell evaluates them.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync } from "node:fs";
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

/**
 * What a make target would run with the user's values: `make -n` prints its commands (make's own expansion done),
 * and they are run by bash with `bash`, `node` and `npm` stubbed to record their arguments, so nothing starts and
 * only the shell's reading of each command line is under test. Returns the recorded calls, in order.
 */
function makeCommands(target: string, variables: Record<string, string>, marker: string): string[][] {
  const calls = mkdtempSync(join(tmpdir(), "make-calls-"));
  const printed = spawnSync(
    "make",
    [
      "--no-print-directory",
      "-n",
      target,
      ...Object.entries(variables).map(([name, value]) => `${name}=${value}`),
    ],
    {
      cwd: REPO_ROOT,
      encoding: "utf8",
    },
  );
  assert.equal(printed.status, 0, printed.stderr);
  assert.equal(existsSync(marker), false, "make itself evaluated the value");
  const stubs = [
    "n=0",
    'record() { n=$((n + 1)); printf "%s\\0" "$@" > "$CALLS/$(printf %03d "$n")"; }',
    'bash() { record bash "$@"; }',
    'node() { record node "$@"; }',
    'npm() { record npm "$@"; }',
    'eval "$COMMANDS"',
  ].join("\n");
  const ran = spawnSync("bash", ["-c", stubs], {
    cwd: REPO_ROOT,
    env: { ...process.env, CALLS: calls, COMMANDS: printed.stdout },
    encoding: "utf8",
  });
  assert.equal(ran.status, 0, ran.stderr);
  return readdirSync(calls)
    .sort()
    .map((file) => readFileSync(join(calls, file), "utf8").split("\0").slice(0, -1));
}

describe("the Makefile's user values (NAME, ONLY, *_ARGS)", () => {
  // Each would run `touch <marker>` if a shell (or make) evaluated it.
  const evil = (marker: string) => [
    `;touch ${marker}`,
    `$(touch ${marker})`,
    `\`touch ${marker}\``,
    `'"$(touch ${marker})"'`,
  ];
  const cases: Array<{
    target: string;
    variable: string;
    value: (marker: string) => string;
    /** The arguments the target's command must get, after its fixed ones. */
    expected: (marker: string) => string[];
    command: string[];
  }> = [
    {
      target: "lab",
      variable: "NAME",
      value: (marker) => `broker-failure${evil(marker).join("")}`,
      expected: (marker) => [`broker-failure${evil(marker).join("")}`],
      command: ["bash", "test/with-cluster.sh", "node", "--import", "tsx", "labs/run.ts"],
    },
    {
      target: "chaos",
      variable: "ONLY",
      value: (marker) => `2,8${evil(marker).join("")}`,
      expected: (marker) => ["--", "--only", `2,8${evil(marker).join("")}`],
      command: ["bash", "test/with-cluster.sh", "npm", "run", "--silent", "chaos"],
    },
    {
      target: "bench",
      variable: "BENCH_ARGS",
      value: (marker) => `--parts throughput --clients java,kafka-fleet-b10 ${evil(marker).join(" ")}`,
      expected: (marker) => [
        "--parts",
        "throughput",
        "--clients",
        "java,kafka-fleet-b10",
        ...evil(marker).join(" ").split(/\s+/),
      ],
      command: ["node", "--import", "tsx", "bench/main.ts"],
    },
    {
      target: "watch",
      variable: "WATCH_ARGS",
      value: (marker) => `--targets 127.0.0.1:9464,127.0.0.1:9465 ${evil(marker).join(" ")}`,
      expected: (marker) => [
        "--targets",
        "127.0.0.1:9464,127.0.0.1:9465",
        ...evil(marker).join(" ").split(/\s+/),
      ],
      command: ["node", "--import", "tsx", "labs/watch/main.ts"],
    },
  ];
  for (const { target, variable, value, expected, command } of cases) {
    it(`make ${target} passes ${variable} as data (words split at blanks for *_ARGS), never running any of it`, () => {
      const marker = join(mkdtempSync(join(tmpdir(), "make-values-")), "ran");
      const calls = makeCommands(target, { [variable]: value(marker) }, marker);
      assert.equal(existsSync(marker), false, "the shell evaluated the value");
      const call = calls.find((args) => command.every((word, i) => args[i] === word));
      assert.ok(call !== undefined, `no call of ${command.join(" ")} in ${JSON.stringify(calls)}`);
      assert.deepEqual(call.slice(command.length), expected(marker));
    });
  }

  it("make ONLY=2,8 chaos and make lab NAME=broker-failure still pass their values as documented", () => {
    const marker = join(mkdtempSync(join(tmpdir(), "make-values-")), "ran");
    assert.deepEqual(makeCommands("chaos", { ONLY: "2,8" }, marker).at(-1), [
      "bash",
      "test/with-cluster.sh",
      "npm",
      "run",
      "--silent",
      "chaos",
      "--",
      "--only",
      "2,8",
    ]);
    assert.deepEqual(makeCommands("lab", { NAME: "broker-failure" }, marker).at(-1)?.slice(-1), [
      "broker-failure",
    ]);
    assert.deepEqual(makeCommands("lab", {}, marker).at(-1), ["node", "--import", "tsx", "labs/run.ts"]);
  });

  it("make does not expand a value either: a $(shell ...) in one runs nowhere, even for a target that ignores it", () => {
    const marker = join(mkdtempSync(join(tmpdir(), "make-values-")), "ran");
    const result = spawnSync("make", ["--no-print-directory", "help", `NAME=$(shell touch ${marker})`], {
      cwd: REPO_ROOT,
      encoding: "utf8",
    });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(existsSync(marker), false, "make ran the value's $(shell ...)");
  });
});
