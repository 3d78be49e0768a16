// What the Kubernetes tests and the rollout measurement share: kubectl and helm (from PATH and KUBECONFIG, which
// deploy/k8s/with-cluster.sh sets), the chart installed with its in-cluster Kafka, ranges produced by Jobs cut
// from the chart's own producer Job, and records read inside the cluster (its brokers' names resolve only there).
import assert from "node:assert/strict";
import { readFileSync, rmSync, writeFileSync } from "node:fs";

import { eventually, run, type RunResult } from "../../harness/process.ts";

export const NAMESPACE = "kafka-fleet-test";
export const RELEASE = "fleet";
export const CHART = "deploy/helm/kafka-fleet";
const FULLNAME = `${RELEASE}-kafka-fleet`;
export const BATCH_CONSUMER = `${FULLNAME}-batch-consumer`;
export const RESULTS_TOPIC = "topic_app.results";
export const INPUT_TOPIC = "topic_app";
export const BATCH_GROUP = "kafka-fleet-batch-consumer";

/** The in-cluster Kafka's brokers, as the chart names them (kf.bootstrap). */
export const BOOTSTRAP = [0, 1, 2]
  .map((i) => `${FULLNAME}-kafka-${i}.${FULLNAME}-kafka-headless.${NAMESPACE}.svc:19092`)
  .join(",");

export function kubectl(args: readonly string[], timeoutMs = 120_000): Promise<RunResult> {
  return run("kubectl", ["-n", NAMESPACE, ...args], { timeoutMs });
}

export async function must(result: Promise<RunResult>, what: string): Promise<string> {
  const { code, stdout, stderr } = await result;
  assert.equal(code, 0, `${what} failed (exit ${code}):\n${stdout}\n${stderr}`);
  return stdout;
}

export function kubectlOk(args: readonly string[], timeoutMs?: number): Promise<string> {
  return must(kubectl(args, timeoutMs), `kubectl ${args.join(" ")}`);
}

/** `helm install` (or `upgrade --install`) of the chart with its in-cluster Kafka, waiting for it to be ready. */
export async function installChart(valuesFile: string, set: readonly string[] = []): Promise<string> {
  const args = [
    "upgrade",
    "--install",
    RELEASE,
    CHART,
    "-n",
    NAMESPACE,
    "--create-namespace",
    "-f",
    valuesFile,
  ];
  for (const value of set) args.push("--set", value);
  // The values win over what kubectl changed since (a scale): what a user means by upgrading.
  args.push("--force-conflicts", "--wait", "--timeout", "15m");
  return must(run("helm", args, { timeoutMs: 16 * 60_000 }), `helm ${args.join(" ")}`);
}

export async function uninstall(): Promise<void> {
  await run("helm", ["uninstall", RELEASE, "-n", NAMESPACE, "--wait", "--timeout", "5m"], {
    timeoutMs: 360_000,
  });
  await run("kubectl", ["delete", "namespace", NAMESPACE, "--wait=true", "--timeout=300s"], {
    timeoutMs: 320_000,
  });
}

interface PodStatus {
  metadata: { name: string; labels?: Record<string, string>; ownerReferences?: Array<{ kind: string }> };
  status: {
    phase: string;
    conditions?: Array<{ type: string; status: string }>;
    containerStatuses?: Array<{ restartCount: number }>;
  };
}

export async function pods(selector?: string): Promise<PodStatus[]> {
  const args = ["get", "pods", "-o", "json"];
  if (selector !== undefined) args.push("-l", selector);
  return (JSON.parse(await kubectlOk(args)) as { items: PodStatus[] }).items;
}

export const isReady = (pod: PodStatus): boolean =>
  pod.status.conditions?.some(({ type, status }) => type === "Ready" && status === "True") ?? false;

/** Replicas of the batch consumer that are Ready, by name. */
export async function readyBatchConsumers(): Promise<string[]> {
  return (await pods("app.kubernetes.io/name=batch-consumer"))
    .filter(isReady)
    .map(({ metadata }) => metadata.name);
}

/** `kubectl scale` of the batch consumer, then waits until exactly that many of its pods are Ready. */
export async function scaleBatchConsumer(replicas: number): Promise<void> {
  await kubectlOk(["scale", `deployment/${BATCH_CONSUMER}`, `--replicas=${replicas}`]);
  await eventually(
    `${replicas} batch consumer pods, all Ready`,
    async () => {
      const all = await pods("app.kubernetes.io/name=batch-consumer");
      return all.length === replicas && all.every(isReady) ? true : undefined;
    },
    { timeoutMs: 300_000 },
  );
}

// ---------------------------------------------------------------- ranges, produced by Jobs
let rangeCount = 0;

/**
 * Starts a Job that writes the range [from, to) at `rate` per second: the chart's own producer Job (same image,
 * environment, security context), renamed, with PRODUCE_FROM, PRODUCE_TO and PRODUCE_RATE replaced.
 */
export async function produceRange(from: number, to: number, rate: number): Promise<string> {
  const template = JSON.parse(await kubectlOk(["get", "job", await chartRangeJob(), "-o", "json"])) as Record<
    string,
    unknown
  >;
  const job = structuredClone(template) as {
    metadata: Record<string, unknown>;
    spec: {
      selector?: unknown;
      manualSelector?: unknown;
      template: {
        metadata: { labels: Record<string, string> };
        spec: { containers: Array<{ env: Array<{ name: string; value?: string }> }> };
      };
    };
    status?: unknown;
  };
  rangeCount += 1;
  const name = `range-${rangeCount}-${from}-${to}`;
  const labels = { "app.kubernetes.io/name": "producer", "kafka-fleet-test/range": name };
  job.metadata = { name, labels };
  delete job.status;
  delete job.spec.selector;
  delete job.spec.manualSelector;
  // The controller's own labels (controller-uid, job-name) belong to the original Job.
  job.spec.template.metadata.labels = labels;
  const replaced = { PRODUCE_FROM: String(from), PRODUCE_TO: String(to), PRODUCE_RATE: String(rate) };
  const container = job.spec.template.spec.containers[0];
  assert.ok(container !== undefined);
  container.env = [
    ...container.env.filter(({ name: variable }) => !(variable in replaced)),
    ...Object.entries(replaced).map(([variable, value]) => ({ name: variable, value })),
  ];
  await must(
    run("bash", ["-c", `kubectl -n ${NAMESPACE} create -f - <<'EOF'\n${JSON.stringify(job)}\nEOF`]),
    `create Job ${name}`,
  );
  return name;
}

/** The chart's own range Job (producer.env.PRODUCE_TO): named by its range and settings, not by the revision. */
export async function chartRangeJob(): Promise<string> {
  const names = await kubectlOk([
    "get",
    "jobs",
    "-l",
    "app.kubernetes.io/name=producer,!kafka-fleet-test/range",
    "-o",
    "jsonpath={.items[*].metadata.name}",
  ]);
  const [name, ...others] = names.split(" ").filter(Boolean);
  assert.ok(name !== undefined && others.length === 0, `one range Job of the chart, found: "${names}"`);
  return name;
}

/** Values the range's Job has acknowledged so far (its last `producer.progress` event), 0 before the first. */
export async function acknowledged(job: string): Promise<number> {
  const { stdout } = await kubectl(["logs", `job/${job}`, "--tail", "50"]);
  let last = 0;
  for (const line of stdout.split("\n")) {
    if (!line.includes('"producer.progress"')) continue;
    try {
      last = Number((JSON.parse(line) as { acknowledged?: number }).acknowledged ?? last);
    } catch {
      // not a JSON line
    }
  }
  return last;
}

export async function waitForAcknowledged(job: string, count: number, timeoutMs = 600_000): Promise<void> {
  await eventually(
    `${job}: ${count} acknowledged`,
    async () => ((await acknowledged(job)) >= count ? true : undefined),
    { timeoutMs },
  );
}

export async function waitForJob(job: string, timeoutMs = 900_000): Promise<void> {
  await eventually(
    `Job ${job} complete`,
    async () => {
      const status = JSON.parse(await kubectlOk(["get", "job", job, "-o", "json"])) as {
        status: { succeeded?: number; failed?: number };
      };
      assert.ok((status.status.failed ?? 0) === 0, `Job ${job}: a producer pod failed`);
      return (status.status.succeeded ?? 0) >= 1 ? true : undefined;
    },
    { timeoutMs },
  );
}

// ---------------------------------------------------------------- records, read inside the cluster
const RECORDS_SCRIPT = new URL("in-cluster/records.ts", import.meta.url);
/** How in-cluster/records.ts marks its result among the Kafka client's own log lines. */
const RESULT_MARK = "k8s-test-result ";
let scriptInstalled = false;
let readerCount = 0;

/**
 * Runs test/k8s/in-cluster/records.ts in a pod of the batch consumer's image (which holds libs/audit and the
 * Kafka client), mounted from a ConfigMap, and returns its one JSON line.
 */
export async function inCluster<T>(args: readonly string[]): Promise<T> {
  if (!scriptInstalled) {
    await kubectl(["delete", "configmap", "k8s-test-records", "--ignore-not-found"]);
    await kubectlOk([
      "create",
      "configmap",
      "k8s-test-records",
      `--from-file=records.ts=${RECORDS_SCRIPT.pathname}`,
    ]);
    scriptInstalled = true;
  }
  readerCount += 1;
  const name = `records-${readerCount}-${Date.now()}`;
  const pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, labels: { "kafka-fleet-test/reader": "true" } },
    spec: {
      restartPolicy: "Never",
      automountServiceAccountToken: false,
      containers: [
        {
          name: "records",
          image: "kafka-fleet/batch-consumer:local",
          imagePullPolicy: "IfNotPresent",
          command: ["node", "--import", "tsx", "/app/k8s-test/records.ts", ...args],
          env: [{ name: "KAFKA_BOOTSTRAP_SERVERS", value: BOOTSTRAP }],
          volumeMounts: [{ name: "script", mountPath: "/app/k8s-test", readOnly: true }],
        },
      ],
      volumes: [{ name: "script", configMap: { name: "k8s-test-records" } }],
    },
  };
  await must(
    run("bash", ["-c", `kubectl -n ${NAMESPACE} create -f - <<'EOF'\n${JSON.stringify(pod)}\nEOF`]),
    `create pod ${name}`,
  );
  try {
    const phase = await eventually(
      `pod ${name} finished`,
      async () => {
        const out = await kubectlOk(["get", "pod", name, "-o", "jsonpath={.status.phase}"]);
        return out === "Succeeded" || out === "Failed" ? out : undefined;
      },
      { timeoutMs: 600_000 },
    );
    const logs = await kubectlOk(["logs", name]);
    assert.equal(phase, "Succeeded", `${name} (records.ts ${args.join(" ")}) failed:\n${logs.slice(-3000)}`);
    const line = logs.split("\n").findLast((text) => text.startsWith(RESULT_MARK));
    assert.ok(line !== undefined, `${name} printed no result line:\n${logs.slice(-3000)}`);
    return JSON.parse(line.slice(RESULT_MARK.length)) as T;
  } finally {
    await kubectl(["delete", "pod", name, "--wait=false"]);
  }
}

export interface Audit {
  readonly missing: number;
  readonly duplicates: number;
  readonly seen: number;
}

/** The results topic audited for [from, to): how many values are missing, how many repeated. */
export function auditResults(from: number, to: number): Promise<Audit> {
  return inCluster<Audit>(["audit", String(from), String(to)]);
}

/**
 * Audits until nothing of the range is missing (the consumers may still be catching up), or the deadline: then the
 * last audit is returned for the test to judge. A reader that fails (its pod, `kubectl logs`) ends the wait at once
 * with its error: retrying cannot mend the cluster, and the error names the cause.
 */
export async function auditWhenComplete(from: number, to: number, timeoutMs = 600_000): Promise<Audit> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const audit = await auditResults(from, to);
    if (audit.missing === 0 || Date.now() > deadline) return audit;
    await new Promise((resolve) => setTimeout(resolve, 5000));
  }
}

/** The chart's values file for the tests, read for the bounds the tests compute (BATCH_SIZE and the like). */
export function valuesText(path: string): string {
  return readFileSync(path, "utf8");
}

// ---------------------------------------------------------------- KEDA, built here (deploy/k8s/tools.sh)
/** The images deploy/k8s/images.sh builds from the KEDA binaries of deploy/k8s/tools.sh. */
const KEDA_IMAGES: Readonly<Record<string, string>> = {
  "ghcr.io/kedacore/keda:": "localhost/kafka-fleet/keda:local",
  "ghcr.io/kedacore/keda-metrics-apiserver:": "localhost/kafka-fleet/keda-metrics-apiserver:local",
};

/**
 * KEDA's own manifests (its kustomize directory config/minimal: CRDs, RBAC, the operator, the external metrics API
 * server), rendered by kubectl, with the images built here in place of its registry's, applied; then waits until its
 * external metrics API is served through the API server's aggregation layer.
 */
export async function installKeda(): Promise<void> {
  const manifests = (
    await must(run("bash", ["deploy/k8s/tools.sh", "keda-manifests"]), "KEDA's manifests")
  ).trim();
  let rendered = await must(
    run("kubectl", ["kustomize", manifests], { timeoutMs: 120_000 }),
    "kubectl kustomize",
  );
  for (const [image, local] of Object.entries(KEDA_IMAGES)) {
    const pattern = new RegExp(`${image.replaceAll(".", "\\.")}\\S+`, "g");
    assert.ok(pattern.test(rendered), `KEDA's manifests name ${image}…`);
    rendered = rendered.replace(pattern, local);
  }
  rendered = rendered.replaceAll("imagePullPolicy: Always", "imagePullPolicy: IfNotPresent");
  const file = `/tmp/kafka-fleet-keda-${process.pid}.yaml`;
  writeFileSync(file, rendered);
  try {
    await must(
      run("kubectl", ["apply", "--server-side", "--force-conflicts", "-f", file], { timeoutMs: 300_000 }),
      "kubectl apply KEDA",
    );
  } finally {
    rmSync(file, { force: true });
  }
  for (const deployment of ["keda-operator", "keda-metrics-apiserver"])
    await must(
      run("kubectl", ["-n", "keda", "rollout", "status", `deployment/${deployment}`, "--timeout=600s"], {
        timeoutMs: 620_000,
      }),
      `KEDA's ${deployment} rolled out`,
    );
  await must(
    run(
      "kubectl",
      ["wait", "--for=condition=Available", "apiservice/v1beta1.external.metrics.k8s.io", "--timeout=300s"],
      { timeoutMs: 320_000 },
    ),
    "KEDA's external metrics API available through the aggregation layer",
  );
}

/** The batch consumer Deployment's replicas as its spec asks now (what an autoscaler set). */
export async function batchConsumerReplicas(): Promise<number> {
  return Number(await kubectlOk(["get", `deployment/${BATCH_CONSUMER}`, "-o", "jsonpath={.spec.replicas}"]));
}
