// The Helm chart's promises, read from what `helm template` renders with each values file of its ci/ folder: every
// documented variable reaches the services, the stop fits in the pod's grace period, the security context, the
// probes, static membership on StatefulSets, the in-cluster Kafka set as Compose's. deploy/helm/check.sh (make
// lint) validates the same renders against the Kubernetes types and the CRDs.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

import { parseAllDocuments, parse as parseYaml } from "yaml";

const REPO = join(dirname(fileURLToPath(import.meta.url)), "../../..");
const CHART = join(REPO, "deploy/helm/kafka-fleet");
const FLEET = ["producer", "single-consumer", "batch-consumer"];

type EnvVar = { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } };
type Container = {
  name: string;
  image: string;
  env?: EnvVar[];
  securityContext?: Record<string, unknown>;
  readinessProbe?: { httpGet?: { path: string } };
  livenessProbe?: { httpGet?: { path: string } };
  volumeMounts?: Array<{ name: string; mountPath: string }>;
};
type PodSpec = {
  containers: Container[];
  terminationGracePeriodSeconds?: number;
  securityContext?: Record<string, unknown>;
  volumes?: Array<{ name: string; emptyDir?: unknown; configMap?: unknown }>;
};
type Manifest = {
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: Record<string, unknown> & { template?: { spec: PodSpec } };
  data?: Record<string, string>;
};

let helm: string;
const renders = new Map<string, Manifest[]>();

function render(valuesFile: string, set: readonly string[] = []): Manifest[] {
  const output = execFileSync(
    helm,
    [
      "template",
      "fleet",
      CHART,
      "--namespace",
      "fleet",
      "-f",
      join(CHART, "ci", valuesFile),
      ...set.flatMap((value) => ["--set", value]),
    ],
    { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] },
  );
  return parseAllDocuments(output)
    .map((doc) => doc.toJSON() as Manifest | null)
    .filter((manifest): manifest is Manifest => manifest !== null);
}

/** The fleet's pod templates of one render: component name -> manifest. */
function fleetWorkloads(manifests: Manifest[]): Map<string, Manifest> {
  const workloads = new Map<string, Manifest>();
  for (const manifest of manifests) {
    const component = manifest.metadata.labels?.["app.kubernetes.io/name"];
    if (component && FLEET.includes(component) && manifest.spec?.template) workloads.set(component, manifest);
  }
  return workloads;
}

const envOf = (workload: Manifest): EnvVar[] => workload.spec?.template?.spec.containers[0]?.env ?? [];
const valueOf = (workload: Manifest, name: string) => envOf(workload).find((e) => e.name === name);

describe("the Helm chart", () => {
  before(() => {
    helm = execFileSync("bash", [join(REPO, "deploy/helm/tools.sh"), "helm"], { encoding: "utf8" }).trim();
    for (const file of readdirSync(join(CHART, "ci"))) renders.set(file, render(file));
  });

  it("sets every variable of docs/design.md's service environment on some service", () => {
    const design = readFileSync(join(REPO, "docs/design.md"), "utf8");
    const start = design.indexOf("### Service environment");
    const table = design.slice(start, design.indexOf("\n### ", start + 1));
    const documented = new Set(
      [...table.matchAll(/^\| `([A-Z_]+)`(?: \/ `([A-Z_]+)`)?/gm)].flatMap((m) => m.slice(1).filter(Boolean)),
    );
    assert.ok(documented.size > 20, "the table was found");
    const set = new Set<string>();
    for (const manifests of renders.values()) {
      for (const workload of fleetWorkloads(manifests).values())
        for (const e of envOf(workload)) set.add(e.name);
    }
    assert.deepEqual(
      [...documented].filter((name) => !set.has(name)),
      [],
    );
  });

  it("gives each pod more time than SHUTDOWN_GRACE_MS to stop", () => {
    for (const [file, manifests] of renders) {
      for (const [component, workload] of fleetWorkloads(manifests)) {
        const graceMs = Number(valueOf(workload, "SHUTDOWN_GRACE_MS")?.value);
        const podGraceS = workload.spec?.template?.spec.terminationGracePeriodSeconds ?? 30;
        assert.ok(podGraceS * 1000 > graceMs, `${file} ${component}: ${podGraceS} s vs ${graceMs} ms`);
      }
    }
  });

  it("runs the services as non-root, read-only, without capabilities, probed on /readyz and /healthz", () => {
    for (const [file, manifests] of renders) {
      for (const [component, workload] of fleetWorkloads(manifests)) {
        const pod = workload.spec!.template!.spec;
        const container = pod.containers[0]!;
        const where = `${file} ${component}`;
        assert.equal(pod.securityContext?.runAsNonRoot, true, where);
        assert.deepEqual(container.securityContext, {
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ["ALL"] },
        });
        assert.ok(
          container.volumeMounts?.some((m) => m.mountPath === "/tmp" && m.name === "tmp"),
          where,
        );
        assert.ok(
          pod.volumes?.some((v) => v.name === "tmp" && v.emptyDir !== undefined),
          where,
        );
        assert.equal(container.readinessProbe?.httpGet?.path, "/readyz", where);
        assert.equal(container.livenessProbe?.httpGet?.path, "/healthz", where);
        assert.equal(container.image, `kafka-fleet/${component}:local`, where);
      }
    }
  });

  it("under static membership runs the consumers as StatefulSets, each pod's name its instance id", () => {
    const workloads = fleetWorkloads(renders.get("static-keda-values.yaml")!);
    for (const component of ["single-consumer", "batch-consumer"]) {
      const workload = workloads.get(component)!;
      assert.equal(workload.kind, "StatefulSet", component);
      assert.deepEqual(valueOf(workload, "GROUP_INSTANCE_ID")?.valueFrom, {
        fieldRef: { fieldPath: "metadata.name" },
      });
      assert.equal(valueOf(workload, "KAFKA_CLIENT_SESSION_TIMEOUT_MS")?.value, "60000");
    }
    assert.equal(workloads.get("producer")!.kind, "Deployment");
    assert.equal(valueOf(workloads.get("producer")!, "GROUP_INSTANCE_ID"), undefined);

    // Under the KIP-848 protocol the broker times sessions out: librdkafka refuses session.timeout.ms.
    const kip848 = fleetWorkloads(renders.get("hpa-values.yaml")!).get("batch-consumer")!;
    assert.equal(valueOf(kip848, "GROUP_PROTOCOL")?.value, "consumer");
    assert.equal(valueOf(kip848, "KAFKA_CLIENT_SESSION_TIMEOUT_MS"), undefined);
  });

  it("runs a range producer (PRODUCE_TO) as a Job, the endless one as a Deployment", () => {
    const rangeProducer = fleetWorkloads(renders.get("hpa-values.yaml")!).get("producer")!;
    assert.equal(rangeProducer.kind, "Job");
    // Helm reads a values file's numbers as float64; the chart prints them as the integers they are.
    assert.equal(valueOf(rangeProducer, "PRODUCE_TO")?.value, "10000000");
    assert.equal(fleetWorkloads(renders.get("dev-values.yaml")!).get("producer")!.kind, "Deployment");
  });

  it("keeps the range Job's name through an upgrade that leaves the range alone, and only then", () => {
    const rangeJobName = (...set: string[]) => {
      const manifests = render("hpa-values.yaml", set);
      return fleetWorkloads(manifests).get("producer")!.metadata.name;
    };
    const name = rangeJobName();
    // The name does not depend on the revision: an upgrade that scales a consumer finds the completed Job.
    assert.equal(rangeJobName("batchConsumer.replicas=2"), name);
    assert.notEqual(rangeJobName("producer.env.PRODUCE_TO=20000000"), name, "a new range is a new Job");
    assert.notEqual(rangeJobName("image.tag=next"), name, "a new image is a new Job");
  });

  it("runs the in-cluster Kafka with docker-compose.yml's image and broker settings", () => {
    const compose = parseYaml(readFileSync(join(REPO, "docker-compose.yml"), "utf8"), { merge: true }) as {
      services: Record<string, { image: string; environment: Record<string, unknown> }>;
    };
    const broker = compose.services["kafka-1"]!;
    const kafka = renders
      .get("dev-values.yaml")!
      .find((m) => m.kind === "StatefulSet" && m.metadata.name.endsWith("-kafka"))!;
    const container = kafka.spec!.template!.spec.containers[0]!;
    assert.equal(container.image, broker.image);
    for (const setting of [
      "CLUSTER_ID",
      "KAFKA_PROCESS_ROLES",
      "KAFKA_NUM_PARTITIONS",
      "KAFKA_DEFAULT_REPLICATION_FACTOR",
      "KAFKA_MIN_INSYNC_REPLICAS",
      "KAFKA_AUTO_CREATE_TOPICS_ENABLE",
      "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
      "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
      "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR",
      "KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS",
    ]) {
      assert.equal(
        container.env?.find((e) => e.name === setting)?.value,
        String(broker.environment[setting]),
        setting,
      );
    }
    const init = renders
      .get("dev-values.yaml")!
      .find((m) => m.kind === "ConfigMap" && m.data?.["create-topics.sh"]);
    assert.equal(
      init?.data?.["create-topics.sh"],
      readFileSync(join(REPO, "deploy/compose/create-topics.sh"), "utf8"),
    );
  });

  it("bounds the autoscalers by the partition count, and labels scrapes for the alert rules", () => {
    const keda = renders.get("static-keda-values.yaml")!.filter((m) => m.kind === "ScaledObject");
    assert.equal(keda.length, 2);
    for (const scaled of keda) assert.ok(Number(scaled.spec?.maxReplicaCount) <= 6);
    const hpa = renders.get("hpa-values.yaml")!.find((m) => m.kind === "HorizontalPodAutoscaler")!;
    assert.equal((hpa.spec?.scaleTargetRef as { kind: string }).kind, "StatefulSet");
    const podMonitor = renders.get("dev-values.yaml")!.find((m) => m.kind === "PodMonitor")!;
    const endpoints = podMonitor.spec?.podMetricsEndpoints as Array<{ relabelings: unknown[] }>;
    assert.deepEqual(endpoints[0]?.relabelings, [
      { action: "replace", replacement: "kafka-fleet", targetLabel: "job" },
    ]);
  });

  it("gives a consumer with KAFKA_TOPIC_PATTERN no KAFKA_TOPIC (both set exits 2), and scales it on every topic's lag", () => {
    const manifests = renders.get("pattern-values.yaml")!;
    const workloads = fleetWorkloads(manifests);
    const single = workloads.get("single-consumer")!;
    assert.equal(valueOf(single, "KAFKA_TOPIC_PATTERN")?.value, "^topic_app$");
    assert.equal(valueOf(single, "KAFKA_TOPIC"), undefined);
    assert.equal(valueOf(workloads.get("batch-consumer")!, "KAFKA_TOPIC")?.value, "topic_app");
    assert.equal(valueOf(workloads.get("batch-consumer")!, "KAFKA_TOPIC_PATTERN"), undefined);
    const scaled = manifests.find((m) => m.kind === "ScaledObject")!;
    const trigger = (scaled.spec?.triggers as Array<{ metadata: Record<string, string> }>)[0]!;
    assert.equal(trigger.metadata.consumerGroup, "kafka-fleet-single-consumer");
    assert.equal(trigger.metadata.topic, undefined, "no one topic: KEDA sums the group's topics");
    const keda = renders.get("static-keda-values.yaml")!.find((m) => m.kind === "ScaledObject")!;
    const oneTopic = (keda.spec?.triggers as Array<{ metadata: Record<string, string> }>)[0]!;
    assert.equal(oneTopic.metadata.topic, "topic_app");
  });
});
