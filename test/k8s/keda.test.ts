// KEDA's Kafka scaler driving the batch consumer on the group's lag, on the single-node cluster of deploy/k8s
// (`make test-k8s`): KEDA's operator and external metrics API server are built from the Go module proxy
// (deploy/k8s/tools.sh) and installed from KEDA's own manifests; the chart's ScaledObject is what is under test.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { eventually } from "../../harness/process.ts";
import {
  BATCH_CONSUMER,
  auditWhenComplete,
  batchConsumerReplicas,
  installChart,
  installKeda,
  kubectlOk,
  produceRange,
  scaleBatchConsumer,
  waitForJob,
} from "./kube.ts";

const VALUES = "test/k8s/values.yaml";
const MAX_REPLICAS = 3;
const LAG_THRESHOLD = 2000;
// Far above the other tests' ranges: the audit counts the rest of the results topic as out of range.
const [FROM, TO] = [5_000_000, 5_200_000];

describe("KEDA on a single-node Kubernetes", { timeout: 3_600_000 }, () => {
  it("KEDA's operator and external metrics API server, built here, serve through the aggregation layer", async () => {
    await installKeda();
    const services = await kubectlOk(["get", "--raw", "/apis/external.metrics.k8s.io/v1beta1"]);
    assert.match(services, /external\.metrics\.k8s\.io/);
  });

  it(`the chart's ScaledObject scales the batch consumer 1 → ${MAX_REPLICAS} on a backlog: 0 missing, 0 duplicates`, async (t) => {
    // From one replica, before the autoscaler owns the count.
    await installChart(VALUES);
    await scaleBatchConsumer(1);
    await installChart(VALUES, [
      "batchConsumer.autoscaling.keda.enabled=true",
      "batchConsumer.autoscaling.keda.minReplicas=1",
      `batchConsumer.autoscaling.keda.maxReplicas=${MAX_REPLICAS}`,
      `batchConsumer.autoscaling.keda.lagThreshold=${LAG_THRESHOLD}`,
      "batchConsumer.autoscaling.keda.pollingInterval=5",
    ]);
    await kubectlOk(
      ["wait", "--for=condition=Ready", `scaledobject/${BATCH_CONSUMER}`, "--timeout=300s"],
      320_000,
    );
    assert.equal(await batchConsumerReplicas(), 1, "one replica while the group has no lag");

    // A backlog far above LAG_THRESHOLD × MAX_REPLICAS: written unpaced, faster than one consumer reads it.
    const job = await produceRange(FROM, TO, 0);
    const started = Date.now();
    const highest = await eventually(
      `KEDA scales the batch consumer to ${MAX_REPLICAS}`,
      async () => ((await batchConsumerReplicas()) >= MAX_REPLICAS ? batchConsumerReplicas() : undefined),
      { timeoutMs: 600_000 },
    );
    t.diagnostic(
      `scaled to ${highest} replicas ${((Date.now() - started) / 1000).toFixed(0)} s after the backlog began`,
    );
    assert.equal(highest, MAX_REPLICAS, "never above maxReplicas");

    await waitForJob(job);
    const audit = await auditWhenComplete(FROM, TO);
    t.diagnostic(`audit: ${JSON.stringify(audit)}`);
    assert.equal(audit.missing, 0);
    assert.equal(audit.duplicates, 0, "each scale step is a graceful rebalance: nothing is redone");
  });
});
