// docker-compose.yml, checked without a Docker engine: Compose's own validation, then the structure of the file as
// Compose resolves it (brokers, replication, init gating, scalable app services and the environment they get,
// optional services behind profiles, discovery), and `make up`'s answers before it starts anything.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";

import { clientPropertyProblems } from "../../libs/kafka/src/client-config.ts";
import { loadBatchConsumerConfig } from "../../services/batch-consumer/src/config.ts";
import { loadProducerConfig } from "../../services/producer/src/config.ts";
import { loadSingleConsumerConfig } from "../../services/single-consumer/src/config.ts";

import {
  APP_SERVICES,
  CLIENT_PROPERTY_ROW,
  documentedServiceEnv,
  dockerHealthcheck,
  dockerfileInstructions,
  durationMs,
  envOf,
  readYaml,
  repoPath,
  resolvedCompose,
  run,
  servicesEnvFile,
  type ComposeFile,
  type ComposeService,
} from "./helpers.ts";

const documented = documentedServiceEnv();
const passedOn = servicesEnvFile();
/** Every name the app services' environment could take from the caller: unset, for a render of the defaults. */
const callerNames = [...new Set([...Object.values(documented).flat(), ...passedOn.keys()])].filter(
  (name) => name !== CLIENT_PROPERTY_ROW,
);
const unsetAll = Object.fromEntries(callerNames.map((name) => [name, undefined]));
/** A value no default has, so that where a variable's value comes from shows. */
const probe = (name: string) => `probe-${name.toLowerCase()}`;

let compose: ComposeFile;
const service = (name: string): ComposeService => {
  const found = compose.services[name];
  assert.ok(found, `docker-compose.yml has a service ${name}`);
  return found;
};
const brokers = () =>
  Object.entries(compose.services).filter(([, s]) => envOf(s).KAFKA_PROCESS_ROLES !== undefined);

before(async () => {
  compose = await resolvedCompose(unsetAll);
});

describe("docker-compose config", () => {
  it("accepts docker-compose.yml", async () => {
    const result = await run("docker-compose", ["config", "-q"]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, "");
  });

  it("rejects a broken copy of it, so the check above can fail", async () => {
    const dir = mkdtempSync(join(tmpdir(), "compose-"));
    try {
      const broken = readFileSync(repoPath("docker-compose.yml"), "utf8").replace(
        "condition: service_completed_successfully",
        "condition: service_finished",
      );
      writeFileSync(join(dir, "docker-compose.yml"), broken);
      const result = await run("docker-compose", ["-f", join(dir, "docker-compose.yml"), "config", "-q"]);
      assert.notEqual(result.code, 0);
      assert.match(result.stderr, /service_finished/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the Kafka nodes", () => {
  it("are 3 combined broker+controller nodes with distinct ids and one identical static voter set", () => {
    const nodes = brokers();
    assert.equal(nodes.length, 3);
    const ids = nodes.map(([, s]) => envOf(s).KAFKA_NODE_ID).sort();
    assert.deepEqual(ids, ["1", "2", "3"]);
    const voterSets = new Set(nodes.map(([, s]) => envOf(s).KAFKA_CONTROLLER_QUORUM_VOTERS));
    assert.equal(voterSets.size, 1, "every node names the same voters");
    const clusterIds = new Set(nodes.map(([, s]) => envOf(s).CLUSTER_ID));
    assert.equal(clusterIds.size, 1, "every node is formatted with the same cluster id");

    // Each voter is one of the nodes, at its own id and its CONTROLLER listener's port.
    const voters = [...voterSets][0]!
      .split(",")
      .map((voter) => /^(\d+)@([^:]+):(\d+)$/.exec(voter)?.slice(1));
    assert.equal(voters.length, 3);
    for (const [name, s] of nodes) {
      const env = envOf(s);
      assert.equal(env.KAFKA_PROCESS_ROLES, "broker,controller", name);
      const controllerPort = /CONTROLLER:\/\/[^:]*:(\d+)/.exec(env.KAFKA_LISTENERS ?? "")?.[1];
      assert.ok(
        voters.some(
          (v) => v?.[0] === env.KAFKA_NODE_ID && v?.[1] === (s.hostname ?? name) && v?.[2] === controllerPort,
        ),
        `${name} (node ${env.KAFKA_NODE_ID}) is in the voter set at its controller listener`,
      );
    }
  });

  it("replicate as docs/design.md says, with auto-create off", () => {
    for (const [name, s] of brokers()) {
      const env = envOf(s);
      assert.deepEqual(
        {
          defaultRF: env.KAFKA_DEFAULT_REPLICATION_FACTOR,
          minIsr: env.KAFKA_MIN_INSYNC_REPLICAS,
          autoCreate: env.KAFKA_AUTO_CREATE_TOPICS_ENABLE,
          offsetsRF: env.KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR,
          transactionsRF: env.KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR,
          transactionsMinIsr: env.KAFKA_TRANSACTION_STATE_LOG_MIN_ISR,
        },
        {
          defaultRF: "3",
          minIsr: "2",
          autoCreate: "false",
          offsetsRF: "3",
          transactionsRF: "3",
          transactionsMinIsr: "2",
        },
        name,
      );
    }
  });

  it("keep their data in a named volume, serve containers and the host, and have a healthcheck", () => {
    const hostPorts: string[] = [];
    for (const [name, s] of brokers()) {
      const env = envOf(s);
      const dataMount = s.volumes?.find((v) => v.split(":")[1] === env.KAFKA_LOG_DIRS);
      assert.ok(dataMount, `${name} mounts a volume at KAFKA_LOG_DIRS (${env.KAFKA_LOG_DIRS})`);
      assert.ok(
        compose.volumes && dataMount.split(":")[0]! in compose.volumes,
        `${name}: ${dataMount} is a named volume`,
      );

      // INTERNAL for containers (the inter-broker listener), HOST advertised on 127.0.0.1 at the published port.
      assert.equal(env.KAFKA_INTER_BROKER_LISTENER_NAME, "INTERNAL");
      assert.match(env.KAFKA_ADVERTISED_LISTENERS ?? "", new RegExp(`INTERNAL://${s.hostname ?? name}:\\d+`));
      const hostPort = /HOST:\/\/127\.0\.0\.1:(\d+)/.exec(env.KAFKA_ADVERTISED_LISTENERS ?? "")?.[1];
      assert.ok(hostPort, `${name} advertises a HOST listener`);
      assert.ok(
        s.ports?.some((p) => p.startsWith(`127.0.0.1:${hostPort}:${hostPort}`)),
        `${name} publishes ${hostPort}`,
      );
      hostPorts.push(hostPort);
      assert.ok(s.healthcheck?.test.length, `${name} has a healthcheck`);
    }
    // The local cluster's ports, so that host tools and tests work against either.
    assert.deepEqual(hostPorts.sort(), ["9092", "9094", "9096"]);
  });
});

describe("the init-topics step", () => {
  it("waits for healthy brokers, and every app service waits for it to complete successfully", () => {
    const init = service("init-topics");
    for (const [name] of brokers()) assert.equal(init.depends_on?.[name]?.condition, "service_healthy", name);
    for (const name of APP_SERVICES) {
      assert.equal(
        service(name).depends_on?.["init-topics"]?.condition,
        "service_completed_successfully",
        name,
      );
    }
  });

  it("runs the checked-in script and creates every topic the app services name", () => {
    const init = service("init-topics");
    const mount = init.volumes?.find((v) => v.includes("create-topics.sh"));
    assert.ok(mount, "the script is mounted");
    assert.ok(existsSync(mount.split(":")[0]!), `${mount.split(":")[0]} exists`);
    assert.ok(init.entrypoint?.includes(mount.split(":")[1]!), "and is the entrypoint");

    const initEnv = envOf(init);
    const created = new Set([initEnv.KAFKA_TOPIC, initEnv.RESULTS_TOPIC, initEnv.DLQ_TOPIC]);
    assert.deepEqual([...created].sort(), ["topic_app", "topic_app.dlq", "topic_app.results"]);
    for (const name of APP_SERVICES) {
      const env = envOf(service(name));
      for (const variable of ["KAFKA_TOPIC", "RESULTS_TOPIC", "DLQ_TOPIC"] as const) {
        // Empty means unset (the single consumer writes no results).
        if (env[variable]) assert.ok(created.has(env[variable]), `${name} ${variable}=${env[variable]}`);
      }
    }
    assert.equal(initEnv.TOPIC_PARTITIONS, "6");
    assert.equal(initEnv.EXPECTED_BROKERS, "3");
  });
});

describe("the app services", () => {
  it("are built from their own Dockerfile target", () => {
    const stages = new Set(dockerfileInstructions().map((i) => i.stage));
    for (const name of APP_SERVICES) {
      const build = service(name).build;
      assert.equal(build?.target, name);
      assert.ok(stages.has(name), `the Dockerfile has a stage ${name}`);
      assert.equal(build?.context, repoPath().replace(/\/$/, ""));
    }
  });

  it("can be scaled: no container_name and no fixed host port", () => {
    for (const name of APP_SERVICES) {
      const s = service(name);
      assert.equal(s.container_name, undefined, name);
      assert.equal(s.ports, undefined, name);
    }
  });

  it("are configured by the env contract only, and their own config loaders accept what they get", () => {
    const loaders = {
      producer: loadProducerConfig,
      "single-consumer": loadSingleConsumerConfig,
      "batch-consumer": loadBatchConsumerConfig,
    } as const;
    const brokerAddresses = brokers().map(([name, s]) => {
      const port = /INTERNAL:\/\/[^:]+:(\d+)/.exec(envOf(s).KAFKA_ADVERTISED_LISTENERS ?? "")?.[1];
      return `${s.hostname ?? name}:${port}`;
    });
    for (const name of APP_SERVICES) {
      const env = envOf(service(name));
      const contract = new Set(Object.values(documented).flat());
      const outside = Object.keys(env).filter(
        (key) => !contract.has(key) && !key.startsWith("KAFKA_CLIENT_"),
      );
      assert.deepEqual(outside, [], `${name} gets only contract variables`);
      assert.deepEqual(env.KAFKA_BOOTSTRAP_SERVERS?.split(",").sort(), brokerAddresses.sort(), name);
      assert.equal(env.METRICS_PORT, "9464", name);
      // Prometheus scrapes each replica at its own address: not the loopback, the services' own default.
      assert.equal(env.METRICS_HOST, "0.0.0.0", name);
      // A bad value would make the container exit with code 2 at start; the schema is the judge.
      const config = loaders[name](env);
      assert.equal(config.metricsHost, "0.0.0.0");
      assert.equal(config.metricsPort, 9464);
      assert.ok("topic" in config ? config.topic === "topic_app" : config.topics.includes("topic_app"), name);
    }
    assert.ok(envOf(service("single-consumer")).CONSUMER_GROUP);
    assert.ok(envOf(service("batch-consumer")).CONSUMER_GROUP);
  });

  it("keep the demo's default when the caller sets nothing: a rate of 1000/s; the rest is the services' own", () => {
    assert.equal(envOf(service("producer")).PRODUCE_RATE, "1000");
    // Everything else the caller did not set is not set in the container: the service's own default applies.
    for (const name of APP_SERVICES) {
      const env = envOf(service(name));
      for (const variable of passedOn.keys()) assert.equal(env[variable], undefined, `${name} ${variable}`);
    }
  });

  it("get every variable docs/design.md lists for them: from the caller's environment, or fixed by the stack", async () => {
    const fixed = new Set(
      /^FIXED_VARIABLES=\(([^)]*)\)/m
        .exec(readFileSync(repoPath("deploy/compose.sh"), "utf8"))?.[1]
        ?.split(/\s+/)
        .filter(Boolean),
    );
    assert.ok(fixed.size > 0, "deploy/compose.sh lists the variables docker-compose.yml fixes");
    const probed = await resolvedCompose(Object.fromEntries(callerNames.map((name) => [name, probe(name)])));
    for (const name of APP_SERVICES) {
      const env = envOf(probed.services[name] ?? {});
      const variables = documented[name].filter((variable) => variable !== CLIENT_PROPERTY_ROW);
      assert.ok(variables.length >= 10, `${name}: ${variables.length} documented variables`);
      for (const variable of variables) {
        assert.ok(env[variable] !== undefined, `${name} gets ${variable}`);
        if (fixed.has(variable)) {
          assert.notEqual(env[variable], probe(variable), `${name}: the stack fixes ${variable}`);
          assert.equal(env[variable], envOf(service(name))[variable], `${name}: ${variable} stays fixed`);
        } else {
          assert.equal(env[variable], probe(variable), `${name} gets ${variable} from the caller`);
        }
      }
    }
    // The fixed ones are the stack's wiring, no more: everything else is the caller's to set.
    const fixedSomewhere = APP_SERVICES.flatMap((name) =>
      documented[name].filter((variable) => {
        const value = envOf(probed.services[name] ?? {})[variable];
        return value !== undefined && value !== probe(variable) && variable !== CLIENT_PROPERTY_ROW;
      }),
    );
    assert.deepEqual([...new Set(fixedSomewhere)].sort(), [...fixed].sort());
  });

  it(`get every ${CLIENT_PROPERTY_ROW} that deploy/compose/services.env names, TLS and SASL included, and only those`, async () => {
    const properties = [...passedOn.keys()].filter((name) => name.startsWith("KAFKA_CLIENT_"));
    for (const needed of [
      "SECURITY_PROTOCOL",
      "SASL_MECHANISM",
      "SASL_USERNAME",
      "SASL_PASSWORD",
      "SSL_CA_PEM",
    ])
      assert.ok(properties.includes(`KAFKA_CLIENT_${needed}`), `services.env names KAFKA_CLIENT_${needed}`);
    const probed = await resolvedCompose({
      ...unsetAll,
      ...Object.fromEntries(properties.map((name) => [name, probe(name)])),
      KAFKA_CLIENT_NOT_NAMED_THERE: "x",
    });
    for (const name of APP_SERVICES) {
      const env = envOf(probed.services[name] ?? {});
      for (const property of properties) assert.equal(env[property], probe(property), `${name} ${property}`);
      assert.equal(
        env.KAFKA_CLIENT_NOT_NAMED_THERE,
        undefined,
        "a name the file does not list is not passed",
      );
    }
    // Each is a librdkafka property (a value may be refused here, a name must not be).
    const unknown = clientPropertyProblems(
      Object.fromEntries(
        properties.map((name) => [
          name.slice("KAFKA_CLIENT_".length).toLowerCase().replaceAll("_", "."),
          "x",
        ]),
      ),
    ).filter(({ message }) => /No such configuration property/.test(message));
    assert.deepEqual(unknown, []);
  });

  it("services.env names no variable docker-compose.yml sets itself (Compose would override it silently)", () => {
    for (const name of APP_SERVICES) {
      const setByCompose = Object.keys(envOf(service(name)));
      assert.deepEqual(
        setByCompose.filter((variable) => passedOn.has(variable)),
        [],
        `${name}: set in docker-compose.yml and named in services.env`,
      );
    }
  });

  it("have the image's healthcheck on /healthz", () => {
    for (const name of APP_SERVICES) {
      assert.deepEqual(service(name).healthcheck?.test, ["CMD", ...dockerHealthcheck()], name);
    }
    assert.match(dockerHealthcheck().join(" "), /\/healthz/);
  });

  it("get more time to stop than their graceful shutdown budget", () => {
    for (const name of APP_SERVICES) {
      const s = service(name);
      const graceMs = Number(envOf(s).SHUTDOWN_GRACE_MS ?? 10_000);
      assert.ok(
        durationMs(s.stop_grace_period ?? "10s") > graceMs,
        `${name}: ${s.stop_grace_period} > ${graceMs} ms`,
      );
    }
  });
});

describe("the tools", () => {
  it("Prometheus discovers every replica of every app service by DNS, at the services' metrics port", () => {
    const prometheus = service("prometheus");
    const configMount = prometheus.volumes?.find((v) => v.endsWith("/etc/prometheus/prometheus.yml:ro"));
    assert.equal(configMount?.split(":")[0], repoPath("deploy/prometheus/prometheus.yml"));
    assert.ok(prometheus.command?.includes("--config.file=/etc/prometheus/prometheus.yml"));

    interface SdConfig {
      names?: string[];
      type?: string;
      port?: number;
    }
    const config = readYaml<{
      scrape_configs: Array<{ dns_sd_configs?: SdConfig[]; static_configs?: unknown }>;
    }>("deploy/prometheus/prometheus.yml");
    const dns = config.scrape_configs.flatMap((job) => job.dns_sd_configs ?? []);
    // share-consumer: the batch-consumer's image in a share group (GROUP_TYPE=share), scaled from 0.
    assert.deepEqual(dns.flatMap((sd) => sd.names ?? []).sort(), [...APP_SERVICES, "share-consumer"].sort());
    for (const sd of dns) {
      assert.equal(sd.type, "A");
      assert.equal(String(sd.port), "9464");
    }
    assert.ok(
      config.scrape_configs.every((job) => job.static_configs === undefined),
      "no fixed targets",
    );
  });

  it("kafka-ui, Grafana and Jaeger are each behind a profile of their own name (off unless turned on), nothing else is", async () => {
    const profiled = Object.entries(compose.services)
      .filter(([, s]) => s.profiles !== undefined)
      .map(([name, s]) => {
        assert.deepEqual(
          s.profiles,
          [name],
          `${name}'s profile is its name (deploy/compose.sh relies on it)`,
        );
        return name;
      });
    assert.deepEqual(profiled.sort(), ["grafana", "jaeger", "kafka-ui"]);
    const profiles = await run("docker-compose", ["config", "--profiles"]);
    assert.deepEqual(profiles.stdout.trim().split("\n").sort(), ["grafana", "jaeger", "kafka-ui"]);
  });

  it("Jaeger is the upstream v2 image of the version deploy/tracing/jaeger.sh builds, with its config mounted, receiving OTLP where make up TRACING=1 points the services", () => {
    const jaeger = service("jaeger");
    // The Go module's v1.76.0 is the release v2.13.0 (deploy/tracing/jaeger.sh), which the stand-in is built from.
    assert.match(readFileSync(repoPath("deploy/tracing/jaeger.sh"), "utf8"), /^JAEGER_VERSION=v1\.76\.0$/m);
    assert.equal(jaeger.image, "jaegertracing/jaeger:2.13.0");
    const [source, target] = (jaeger.volumes ?? [])[0]?.split(":") ?? [];
    assert.equal(source, repoPath("deploy/compose/jaeger.yaml"));
    assert.deepEqual(jaeger.command, ["--config", target]);
    const config = readYaml<{
      receivers: { otlp: { protocols: { http: { endpoint: string } } } };
      extensions: { jaeger_query: { http: { endpoint: string } } };
    }>("deploy/compose/jaeger.yaml");
    const script = readFileSync(repoPath("deploy/compose.sh"), "utf8");
    const endpoint = /^TRACING_ENDPOINT=(\S+)$/m.exec(script)?.[1];
    assert.equal(endpoint, "http://jaeger:4318", "compose.sh points the services at the jaeger service");
    // On every interface of the container (the services reach it by name), at the port the services are given.
    assert.equal(config.receivers.otlp.protocols.http.endpoint, "0.0.0.0:4318");
    assert.equal(config.extensions.jaeger_query.http.endpoint, "0.0.0.0:16686");
    assert.deepEqual(jaeger.ports, ["127.0.0.1:16686:16686/tcp"]);
    // The services pass the endpoint on from .env, where make up TRACING=1 writes it.
    assert.ok(passedOn.has("OTEL_EXPORTER_OTLP_ENDPOINT"));
  });

  it("kafka-ui, Grafana, Prometheus and Jaeger are published on 127.0.0.1 only, and Grafana gets its provisioning", () => {
    assert.match(service("kafka-ui").image ?? "", /^kafbat\/kafka-ui:/);
    assert.ok(envOf(service("kafka-ui")).KAFKA_CLUSTERS_0_BOOTSTRAPSERVERS);
    for (const name of ["kafka-ui", "grafana", "prometheus", "jaeger"]) {
      const ports = service(name).ports ?? [];
      assert.ok(
        ports.length > 0 && ports.every((p) => p.startsWith("127.0.0.1:")),
        `${name}: ${ports.join(" ")}`,
      );
    }
    for (const mount of service("grafana").volumes ?? []) {
      const source = mount.split(":")[0]!;
      if (source.startsWith("/")) assert.ok(existsSync(source), `${source} exists`);
    }
  });
});

/** Compose's memory sizes ("512m", "1g", or bytes) in MiB. */
function mebibytes(limit: string | number | undefined): number {
  if (typeof limit === "number") return limit / 2 ** 20;
  const match = /^(\d+)([kmg]?)b?$/i.exec(limit ?? "");
  assert.ok(match, `a memory limit, got ${String(limit)}`);
  const unit = { "": 2 ** -20, k: 2 ** -10, m: 1, g: 1024 }[match[2]!.toLowerCase() as "" | "k" | "m" | "g"];
  return Number(match[1]) * unit;
}

describe("every container's privileges and memory", () => {
  it("drops every capability, may not gain privileges, and has a memory limit", () => {
    for (const [name, s] of Object.entries(compose.services)) {
      assert.deepEqual(s.cap_drop, ["ALL"], name);
      assert.deepEqual(s.security_opt, ["no-new-privileges:true"], name);
      assert.ok(mebibytes(s.mem_limit) > 0, name);
    }
  });

  it("has a read-only root file system, except the brokers and the two images no registry serves here; tmpfs where one writes", () => {
    const writable = Object.entries(compose.services)
      .filter(([, s]) => s.read_only !== true)
      .map(([name]) => name);
    assert.deepEqual(writable.sort(), ["grafana", "kafka-1", "kafka-2", "kafka-3", "kafka-ui"]);
    // The Kafka tools write nothing but their JVM's files in /tmp; it allows exec, for the native compression
    // libraries the JVM extracts there.
    assert.ok(service("init-topics").tmpfs?.some((mount) => /^\/tmp:.*\bexec\b/.test(mount)));
    for (const name of APP_SERVICES)
      assert.deepEqual(
        service(name).tmpfs?.map((mount) => mount.split(":")[0]),
        ["/tmp"],
        name,
      );
    // Their pages count against the memory limit: each is bounded.
    for (const [name, s] of Object.entries(compose.services))
      for (const mount of s.tmpfs ?? []) assert.match(mount, /:(.*,)?size=\d+m\b/, `${name}: ${mount}`);
    assert.equal(service("prometheus").tmpfs, undefined);
  });

  it("fits 3 brokers, the fleet with 3 batch consumers and the tools in 8 GiB of a 24 GiB laptop", () => {
    const replicas = (name: string) => (name === "batch-consumer" ? 3 : name === "init-topics" ? 0 : 1);
    const total = Object.entries(compose.services).reduce(
      (sum, [name, s]) => sum + replicas(name) * mebibytes(s.mem_limit),
      0,
    );
    assert.ok(total <= 8 * 1024, `${total} MiB`);
    // Each broker's limit is above its heap's maximum (-Xmx), with room for the JVM's own memory.
    for (const [name, s] of brokers()) {
      const heap = Number(/-Xmx(\d+)m/.exec(envOf(s).KAFKA_HEAP_OPTS ?? "")?.[1]);
      assert.ok(mebibytes(s.mem_limit) >= 2 * heap, `${name}: ${String(s.mem_limit)} for a ${heap} MiB heap`);
    }
  });
});

describe("the tools' credentials and rights", () => {
  it("kafka-ui is read-only unless KAFKA_UI_READONLY=false", async () => {
    assert.equal(envOf(service("kafka-ui")).KAFKA_CLUSTERS_0_READONLY, "true");
    const editable = await resolvedCompose({ ...unsetAll, KAFKA_UI_READONLY: "false" });
    assert.equal(envOf(editable.services["kafka-ui"]!).KAFKA_CLUSTERS_0_READONLY, "false");
  });

  it("Grafana's admin password is GRAFANA_ADMIN_PASSWORD, and Grafana does not start without one", async () => {
    const withPassword = await resolvedCompose({ ...unsetAll, GRAFANA_ADMIN_PASSWORD: "probe-password" });
    assert.equal(envOf(withPassword.services.grafana!).GF_SECURITY_ADMIN_PASSWORD, "probe-password");
    // The entry point as the container runs it (Compose's $$ is a $), with /run.sh, Grafana's own, absent here.
    const [shell, flag, script, name] = service("grafana").entrypoint ?? [];
    assert.deepEqual([shell, flag, name], ["/bin/sh", "-c", "grafana"]);
    const entry = (password: string) =>
      run("/bin/sh", ["-c", (script ?? "").replaceAll("$$", "$"), "grafana"], {
        env: { GF_SECURITY_ADMIN_PASSWORD: password },
      });
    const refused = await entry("");
    assert.equal(refused.code, 2);
    assert.equal(refused.stderr.trimEnd().split("\n").length, 1, refused.stderr);
    assert.match(
      refused.stderr,
      /^grafana: GRAFANA_ADMIN_PASSWORD is not set: make up generates one into \.env/,
    );
    const started = await entry("probe-password");
    assert.notEqual(started.code, 2);
    assert.match(started.stderr, /run\.sh/, "with a password, it goes on to Grafana's own entry point");
  });
});

describe("alerts and int64 values in the tools", () => {
  it("Prometheus gets the alerting rules mounted beside its config", () => {
    const mount = service("prometheus").volumes?.find((v) => v.endsWith(":/etc/prometheus/alerts.yml:ro"));
    assert.equal(mount?.split(":")[0], repoPath("deploy/prometheus/alerts.yml"));
  });

  it("kafka-ui reads the input and results topics with its Int64 serde, and leaves the dead-letter topic alone", () => {
    const env = envOf(service("kafka-ui"));
    assert.equal(env.KAFKA_CLUSTERS_0_SERDE_0_NAME, "Int64");
    // kafka-ui matches a topic name against the whole pattern (Java's Matcher.matches()).
    const matches = (pattern: string | undefined, topic: string) =>
      new RegExp(`^(?:${pattern})$`).test(topic);
    const values = env.KAFKA_CLUSTERS_0_SERDE_0_TOPICVALUESPATTERN;
    const keys = env.KAFKA_CLUSTERS_0_SERDE_0_TOPICKEYSPATTERN;
    const { KAFKA_TOPIC: input, RESULTS_TOPIC: results, DLQ_TOPIC: dlq } = envOf(service("init-topics"));
    assert.ok(input && results && dlq);
    assert.ok(matches(values, input), `${values} matches ${input}`);
    assert.ok(matches(values, results), `${values} matches ${results}`);
    assert.ok(matches(keys, results), `${keys} matches ${results} (its keys are the values)`);
    assert.ok(!matches(values, dlq) && !matches(keys, dlq), "dead letters are not int64s");
  });
});

describe("deploy/compose.sh (make up, down, logs, ps)", () => {
  // Refused before anything starts (an engine that does not answer is never reached), in one line, exit 2.
  const refusals = [
    {
      what: "a KAFKA_CLIENT_* that services.env does not name",
      env: { KAFKA_CLIENT_SASL_PASSWORD: "secret-value", KAFKA_CLIENT_SASL_KERBEROS_PRINCIPAL: "fleet" },
      says: /KAFKA_CLIENT_SASL_KERBEROS_PRINCIPAL .*deploy\/compose\/services\.env/,
    },
    {
      what: "a KAFKA_UI_READONLY other than true or false",
      env: { KAFKA_UI_READONLY: "no" },
      says: /KAFKA_UI_READONLY=no: expected true .* or false/,
    },
    {
      what: "a TRACING other than 1 or 0",
      env: { TRACING: "yes" },
      says: /TRACING=yes: expected 1 \(with Jaeger.* or 0/,
    },
  ];
  for (const { what, env, says } of refusals) {
    it(`up: ${what} is refused in one line with exit 2, before anything starts`, async () => {
      const result = await run("bash", ["deploy/compose.sh", "up"], {
        env: { KAFKA_FLEET_ENGINE: "docker", DOCKER_HOST: "unix:///nonexistent/docker.sock", ...env },
      });
      assert.equal(result.code, 2);
      assert.equal(result.stdout, "");
      assert.equal(result.stderr.trimEnd().split("\n").length, 1, result.stderr);
      assert.match(result.stderr, says);
      // A secret given beside the refused variable is not repeated.
      assert.doesNotMatch(result.stderr, /secret-value/);
    });
  }

  for (const verb of ["up", "down", "logs", "ps"]) {
    it(`${verb}: told to use a Docker engine that does not answer, says so in one line, points to make up-local, exits 1`, async () => {
      const result = await run("bash", ["deploy/compose.sh", verb], {
        env: { KAFKA_FLEET_ENGINE: "docker", DOCKER_HOST: "unix:///nonexistent/docker.sock" },
      });
      assert.equal(result.code, 1);
      assert.equal(result.stdout, "");
      assert.equal(result.stderr.trimEnd().split("\n").length, 1, result.stderr);
      assert.match(result.stderr, /no reachable Docker engine.*make up-local/);
    });
  }
});
