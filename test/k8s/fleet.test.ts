// The Helm chart on a real Kubernetes (`make test-k8s`: deploy/k8s/with-cluster.sh builds a single-node cluster
// on this machine and runs this file against it): installed with its in-cluster Kafka, every pod Ready, then a
// range each through the operations a cluster does to a fleet — `kubectl scale` 1 → 3 → 1, a rolling update,
// a pod deleted — each audited from the results topic: 0 missing, and duplicates within the README's promise.
// Ranges are written by Jobs cut from the chart's own producer Job while the operation runs; what they wait for
// is progress (values acknowledged), never a time.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";

import { eventually } from "../../harness/process.ts";
import {
  BATCH_CONSUMER,
  NAMESPACE,
  auditWhenComplete,
  chartRangeJob,
  installChart,
  isReady,
  kubectl,
  kubectlOk,
  pods,
  produceRange,
  readyBatchConsumers,
  scaleBatchConsumer,
  uninstall,
  waitForAcknowledged,
  waitForJob,
} from "./kube.ts";

const VALUES = "test/k8s/values.yaml";
// The chart's batch consumer defaults (values.yaml): what one killed replica may repeat at most (README,
// docs/reliability.md): its uncommitted batches.
const BATCH_SIZE = 10;
const BATCH_MAX_UNCOMMITTED = 32;
const FIRST_RANGE = 20_000;

describe("the Helm chart on a single-node Kubernetes", { timeout: 3_600_000 }, () => {
  before(async () => {
    // A release left over from an interrupted run against a cluster that was kept.
    const { code } = await kubectl(["get", "namespace", NAMESPACE]);
    if (code === 0) await uninstall();
  });

  it("helm install with the in-cluster Kafka: every pod Ready, the chart's range Job complete", async (t) => {
    await installChart(VALUES);
    await waitForJob(await chartRangeJob());
    const all = await pods();
    const serving = all.filter(
      ({ metadata }) => !metadata.ownerReferences?.some(({ kind }) => kind === "Job"),
    );
    const byName = (name: string) =>
      serving.filter(({ metadata }) => metadata.labels?.["app.kubernetes.io/name"] === name);
    assert.equal(byName("kafka").length, 3, "3 brokers");
    assert.equal(byName("single-consumer").length, 1);
    assert.equal(byName("batch-consumer").length, 1);
    for (const pod of serving) assert.ok(isReady(pod), `${pod.metadata.name} is Ready`);
    t.diagnostic(`pods: ${all.map(({ metadata, status }) => `${metadata.name} ${status.phase}`).join(", ")}`);
  });

  it(`the chart's range [0, ${FIRST_RANGE}) is processed once each: 0 missing, 0 duplicates`, async (t) => {
    const audit = await auditWhenComplete(0, FIRST_RANGE);
    t.diagnostic(`audit: ${JSON.stringify(audit)}`);
    assert.equal(audit.missing, 0);
    assert.equal(audit.duplicates, 0);
  });

  it("kubectl scale of the batch consumer 1 → 3 → 1 mid-stream: 0 missing, 0 duplicates", async (t) => {
    const [from, to] = [FIRST_RANGE, FIRST_RANGE + 60_000];
    const job = await produceRange(from, to, 2000);
    await waitForAcknowledged(job, 12_000);
    await scaleBatchConsumer(3);
    t.diagnostic(`scaled to 3: ${(await readyBatchConsumers()).join(", ")}`);
    await waitForAcknowledged(job, 40_000);
    await scaleBatchConsumer(1);
    await waitForJob(job);
    const audit = await auditWhenComplete(from, to);
    t.diagnostic(`audit: ${JSON.stringify(audit)}`);
    assert.equal(audit.missing, 0);
    assert.equal(audit.duplicates, 0, "a scale step is a graceful rebalance: nothing is redone");
  });

  it("a rolling update of 3 batch consumers mid-stream: 0 missing, 0 duplicates", async (t) => {
    await scaleBatchConsumer(3);
    const before = await readyBatchConsumers();
    const [from, to] = [FIRST_RANGE + 60_000, FIRST_RANGE + 120_000];
    const job = await produceRange(from, to, 1000);
    await waitForAcknowledged(job, 10_000);
    await kubectlOk(["rollout", "restart", `deployment/${BATCH_CONSUMER}`]);
    await kubectlOk(["rollout", "status", `deployment/${BATCH_CONSUMER}`, "--timeout=600s"], 620_000);
    const after = await eventually("the old pods gone", async () => {
      const all = await pods("app.kubernetes.io/name=batch-consumer");
      return all.length === 3 && all.every(isReady) ? all.map(({ metadata }) => metadata.name) : undefined;
    });
    assert.equal(after.filter((name) => before.includes(name)).length, 0, "every replica was replaced");
    t.diagnostic(`replaced ${before.join(", ")} by ${after.join(", ")}`);
    await waitForJob(job);
    const audit = await auditWhenComplete(from, to);
    t.diagnostic(`audit: ${JSON.stringify(audit)}`);
    assert.equal(audit.missing, 0);
    assert.equal(audit.duplicates, 0, "each replaced pod stops gracefully: nothing is redone");
  });

  it("a batch consumer pod deleted mid-batch (no grace): 0 missing, duplicates within the promise", async (t) => {
    const [from, to] = [FIRST_RANGE + 120_000, FIRST_RANGE + 180_000];
    const job = await produceRange(from, to, 2000);
    await waitForAcknowledged(job, 15_000);
    const [victim] = await readyBatchConsumers();
    assert.ok(victim !== undefined, "a Ready batch consumer to delete");
    await kubectlOk(["delete", "pod", victim, "--grace-period=0", "--force"]);
    await waitForJob(job);
    // The Deployment replaced it.
    await eventually("3 batch consumers Ready again", async () => {
      const names = await readyBatchConsumers();
      return names.length === 3 && !names.includes(victim) ? true : undefined;
    });
    const audit = await auditWhenComplete(from, to);
    const bound = BATCH_MAX_UNCOMMITTED * BATCH_SIZE;
    t.diagnostic(`deleted ${victim}; audit: ${JSON.stringify(audit)}; bound ${bound}`);
    assert.equal(audit.missing, 0);
    assert.ok(audit.duplicates <= bound, `${audit.duplicates} duplicates, promised at most ${bound}`);
  });
});
