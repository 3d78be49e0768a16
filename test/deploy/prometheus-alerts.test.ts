// The alerting rules (deploy/prometheus/alerts.yml), checked and unit-tested by Prometheus's own promtool against the
// cases in alerts.promtool.yml; then each rule is broken on purpose to show that the case meant to catch it does.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";

import { readYaml, repoPath, run } from "./helpers.ts";

const RULES = "deploy/prometheus/alerts.yml";
const RULE_TESTS = "test/deploy/alerts.promtool.yml";

interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleTests {
  rule_files: string[];
  tests: Array<{
    name: string;
    alert_rule_test?: Array<{ alertname: string; eval_time: string; exp_alerts: unknown[] }>;
  }>;
}

const alertRules = () =>
  readYaml<{ groups: Array<{ rules: AlertRule[] }> }>(RULES).groups.flatMap((group) => group.rules);

/** The five conditions the fleet alerts on, and how each must be expressed. */
const EXPECTED = {
  KafkaFleetTargetDown: /^up\{job="kafka-fleet"\} == 0$/,
  KafkaFleetPollLoopStalled: /\bkafka_fleet_poll_loop_stalled\b/,
  KafkaFleetConsumerLagGrowing: /^deriv\(sum by \(service, topic\) \(kafka_fleet_consumer_lag\)\[5m:/,
  KafkaFleetDeadLetters: /\bkafka_fleet_dead_letters_total\b/,
  KafkaFleetCommitFailures: /kafka_fleet_commits_total\{result="failed"\}/,
} as const;

/**
 * Deliberate breaks, at least one per alert, each of which a case in alerts.promtool.yml must catch (`test`, at the
 * evaluation `times`): if promtool still passes with one, the cases meant to catch it test nothing.
 */
const BREAKS: Array<{
  alert: keyof typeof EXPECTED;
  what: string;
  from: string | RegExp;
  to: string;
  test: string;
  times: string[];
}> = [
  {
    alert: "KafkaFleetTargetDown",
    what: "no `for`: a 30 s blip fires",
    from: /for: 1m\n/,
    to: "for: 0s\n",
    test: "a target down for over a minute fires",
    times: ["1m30s"],
  },
  {
    alert: "KafkaFleetPollLoopStalled",
    what: "no `for`: a brief stall fires",
    from: /for: 1m\n/,
    to: "for: 0s\n",
    test: "a loop stalled for over a minute fires",
    times: ["1m30s"],
  },
  {
    alert: "KafkaFleetConsumerLagGrowing",
    what: "the lag's size instead of its trend: a steady lag fires",
    from: "deriv(sum by (service, topic) (kafka_fleet_consumer_lag)[5m:30s]) > 1",
    to: "sum by (service, topic) (kafka_fleet_consumer_lag) > 0",
    test: "a steady lag, a burst",
    times: ["10m"],
  },
  {
    alert: "KafkaFleetConsumerLagGrowing",
    what: "no `for`: a 3-minute burst and a rebalance's dip-and-recover fire",
    from: /for: 5m\n/,
    to: "for: 0s\n",
    test: "a steady lag, a burst",
    times: ["4m", "10m"],
  },
  {
    alert: "KafkaFleetDeadLetters",
    what: "no check that the target was scraped 5 minutes ago: old counts fire when Prometheus starts",
    from: "and on (instance) (up offset 5m)",
    to: "",
    test: "dead letters arriving fire",
    times: ["1m"],
  },
  {
    alert: "KafkaFleetDeadLetters",
    what: "increase() alone: a reason first seen now does not fire",
    from: /\n\s+or\n[\s\S]*?\) > 0\n/,
    to: "\n",
    test: "dead letters arriving fire",
    times: ["7m"],
  },
  {
    alert: "KafkaFleetCommitFailures",
    what: "every commit counted: successful commits fire",
    from: '{result="failed"}',
    to: "",
    test: "a failed commit fires",
    times: ["1m"],
  },
];

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Runs `promtool test rules` on the unit tests against `rules` (the text of a rules file), in a scratch folder. */
async function promtoolTest(rules: string, t: { after(fn: () => void): void }) {
  const dir = mkdtempSync(join(tmpdir(), "promtool-rules-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, "alerts.yml"), rules);
  const tests = readFileSync(repoPath(RULE_TESTS), "utf8");
  assert.ok(tests.includes("../../deploy/prometheus/alerts.yml"));
  writeFileSync(join(dir, "tests.yml"), tests.replace("../../deploy/prometheus/alerts.yml", "alerts.yml"));
  return run("promtool", ["test", "rules", join(dir, "tests.yml")]);
}

/** The rules file with one alert's block changed; throws if the text to change is not in that block. */
function breakRule(rules: string, alert: string, from: string | RegExp, to: string): string {
  const start = rules.indexOf(`- alert: ${alert}\n`);
  assert.ok(start >= 0, `${alert} is in ${RULES}`);
  const next = rules.indexOf("- alert: ", start + 1);
  const end = next < 0 ? rules.length : next;
  const block = rules.slice(start, end);
  const broken = block.replace(from, to);
  assert.notEqual(broken, block, `${alert}: ${String(from)} is in its rule`);
  return rules.slice(0, start) + broken + rules.slice(end);
}

describe("Prometheus alerting rules", () => {
  it("promtool accepts the rules file", async () => {
    const result = await run("promtool", ["check", "rules", repoPath(RULES)]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, new RegExp(`SUCCESS: ${Object.keys(EXPECTED).length} rules found`));
  });

  it("alerts on a target down, a stalled loop, lag growing, dead letters and commit failures", () => {
    const rules = alertRules();
    assert.deepEqual(rules.map((r) => r.alert).sort(), Object.keys(EXPECTED).sort());
    for (const rule of rules) {
      assert.match(rule.expr.trim(), EXPECTED[rule.alert as keyof typeof EXPECTED], rule.alert);
    }
    const lag = rules.find((r) => r.alert === "KafkaFleetConsumerLagGrowing");
    assert.equal(lag?.for, "5m", "growing for 5 minutes");
  });

  it("gives every alert a severity and a summary and description for the operator", () => {
    for (const rule of alertRules()) {
      assert.ok(["critical", "warning"].includes(rule.labels?.severity ?? ""), `${rule.alert}: severity`);
      assert.ok((rule.annotations?.summary ?? "").length > 10, `${rule.alert}: summary`);
      assert.ok((rule.annotations?.description ?? "").length > 40, `${rule.alert}: description`);
    }
  });

  it("has, for every alert, a unit test where it fires and one where it must not", () => {
    const { rule_files, tests } = readYaml<RuleTests>(RULE_TESTS);
    assert.deepEqual(rule_files, ["../../deploy/prometheus/alerts.yml"]);
    const checks = tests.flatMap((test) => test.alert_rule_test ?? []);
    for (const { alert } of alertRules()) {
      const own = checks.filter((check) => check.alertname === alert);
      assert.ok(
        own.some((check) => check.exp_alerts.length > 0),
        `${alert}: a case where it fires`,
      );
      assert.ok(
        own.some((check) => check.exp_alerts.length === 0),
        `${alert}: a case where it does not`,
      );
    }
  });

  it("passes its unit tests (promtool test rules)", async () => {
    const result = await run("promtool", ["test", "rules", repoPath(RULE_TESTS)]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /SUCCESS/);
  });

  describe("fails its unit tests when a rule is broken", () => {
    const rules = readFileSync(repoPath(RULES), "utf8");
    it("the unbroken copy passes in the scratch folder", async (t) => {
      const result = await promtoolTest(rules, t);
      assert.equal(result.code, 0, result.stdout + result.stderr);
    });
    for (const { alert, what, from, to, test, times } of BREAKS) {
      it(`${alert}: ${what}`, async (t) => {
        const result = await promtoolTest(breakRule(rules, alert, from, to), t);
        assert.notEqual(result.code, 0, `promtool passed with the broken rule:\n${result.stdout}`);
        for (const time of times) {
          // promtool reports each failed evaluation as "name: <test>,\n alertname: <alert>, time: <eval_time>,".
          const failure = new RegExp(
            `name: ${escapeRegExp(test)}[^\\n]*,\\s+alertname: ${alert}, time: ${escapeRegExp(time)},`,
          );
          assert.match(result.stdout + result.stderr, failure, `caught by "${test}" at ${time}`);
        }
      });
    }
  });
});
