// The fault proxy between clients and brokers: Toxiproxy (deploy/local/toxiproxy, built once into a cache outside
// the repository), driven through its HTTP API. Each broker's PROXIED listener is advertised at the proxy's port
// for it (deploy/local/cluster.sh), so a client bootstrapped at PROXIED_BOOTSTRAP reaches every broker through
// the proxy, and a fault injected there sits between that client and the brokers. Brokers and controllers talk to
// each other directly, and clients bootstrapped at BOOTSTRAP never pass through it.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";

import { BOOTSTRAP, REPO_ROOT, type AfterHook } from "../kafka.ts";
import { describePortHolder, portTaken } from "../port-holder.ts";
import { eventually, run } from "../process.ts";

/** Where each broker's PROXIED listener is, and where the proxy listens for it: offsets from its PLAINTEXT port. */
const PROXIED_LISTENER_OFFSET = 200;
const PROXY_OFFSET = 300;

interface BrokerLink {
  /** The proxy's name: "broker-<node>". */
  readonly name: string;
  readonly node: number;
  /** Where clients connect (what the PROXIED listener advertises). */
  readonly listen: string;
  /** The broker's PROXIED listener. */
  readonly upstream: string;
}

const links: readonly BrokerLink[] = BOOTSTRAP.map((address, index) => {
  const [host = "127.0.0.1", port = ""] = address.split(":");
  return {
    name: `broker-${index + 1}`,
    node: index + 1,
    listen: `${host}:${Number(port) + PROXY_OFFSET}`,
    upstream: `${host}:${Number(port) + PROXIED_LISTENER_OFFSET}`,
  };
});

/** KAFKA_BOOTSTRAP_SERVERS of a client whose every broker connection passes through the fault proxy. */
export const PROXIED_BOOTSTRAP = links.map((link) => link.listen).join(",");

/** The degraded network of a lossy link: added latency, and segments lost as TCP shows a loss. */
export interface Degradation {
  /** Added to each direction of every link (so a round trip gains twice this). */
  readonly latencyMs: number;
  readonly jitterMs: number;
  /** Probability that one 1448-byte segment is lost (0.01: 1 %). */
  readonly loss: number;
  /** How long a lost segment holds its stream back: the retransmission timeout TCP waits before sending it again. */
  readonly stallMs: number;
}

const STREAMS = ["upstream", "downstream"] as const;

/** A running Toxiproxy with one proxy per broker, stopped when the test ends. */
export class FaultProxy {
  readonly #api: string;

  private constructor(api: string) {
    this.#api = api;
  }

  /** Builds the proxy if needed, starts it on a free API port and creates a healthy proxy for each broker. */
  static async start(t: AfterHook): Promise<FaultProxy> {
    const built = await run("bash", [`${REPO_ROOT}deploy/local/toxiproxy/build.sh`], { timeoutMs: 600_000 });
    if (built.code !== 0)
      throw new Error(`building the fault proxy failed: ${built.stderr.trim().slice(-2000)}`);
    // A proxy left by an interrupted run still holds these ports: every scenario would fail at once, so name it.
    for (const link of links) {
      const port = Number(link.listen.split(":")[1]);
      if (await portTaken(port)) {
        throw new Error(
          `port ${port}, where the fault proxy listens for broker ${link.node}, is held by ` +
            `${await describePortHolder(port)}: a fault proxy or cluster left by an interrupted run? stop it`,
        );
      }
    }
    const port = await freePort();
    // Its own environment: LOG_LEVEL is the proxy's (warn: no line per connection), not the services' value.
    const child = spawn(built.stdout.trim(), ["-host", "127.0.0.1", "-port", String(port)], {
      env: { LOG_LEVEL: "warn" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const exited = once(child, "exit");
    t.after(async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        await exited;
      }
    });
    const proxy = new FaultProxy(`http://127.0.0.1:${port}`);
    await eventually(
      "the fault proxy's API answers",
      () => proxy.#request("GET", "/version").then(() => true),
      {
        timeoutMs: 30_000,
        failFast: () => {
          if (child.exitCode !== null) throw new Error(`the fault proxy exited ${child.exitCode}: ${stderr}`);
        },
      },
    );
    for (const link of links) {
      await proxy.#request("POST", "/proxies", { ...link, enabled: true }).catch((error: unknown) => {
        throw new Error(
          `the fault proxy cannot listen on ${link.listen} for broker ${link.node}: ${String(error)}`,
        );
      });
    }
    return proxy;
  }

  /**
   * Cuts the clients off from these brokers (all when none is named), as a network partition does: in both
   * directions every byte is dropped, on the connections open and on new ones (which the proxy still accepts, then
   * never answers). Clients learn of it only by their own timeouts, as behind a real partition.
   */
  async cut(nodes: readonly number[] = links.map((link) => link.node)): Promise<void> {
    for (const link of linksOf(nodes)) {
      for (const stream of STREAMS) {
        await this.#addToxic(link, {
          name: `cut-${stream}`,
          type: "timeout",
          stream,
          attributes: { timeout: 0 },
        });
      }
    }
  }

  /** Ends a `cut`: bytes flow again (what was dropped meanwhile stays dropped: the clients' timeouts redo it). */
  async restore(nodes: readonly number[] = links.map((link) => link.node)): Promise<void> {
    for (const link of linksOf(nodes)) {
      for (const stream of STREAMS)
        await this.#request("DELETE", `/proxies/${link.name}/toxics/cut-${stream}`);
    }
  }

  /** Degrades every link, both directions: latency, then segment loss (deploy/local/toxiproxy/main.go). */
  async degrade(degradation: Degradation): Promise<void> {
    for (const link of links) {
      for (const stream of STREAMS) {
        await this.#addToxic(link, {
          name: `latency-${stream}`,
          type: "latency",
          stream,
          attributes: { latency: degradation.latencyMs, jitter: degradation.jitterMs },
        });
        await this.#addToxic(link, {
          name: `loss-${stream}`,
          type: "segment_loss",
          stream,
          attributes: { loss: degradation.loss, segment: 1448, stall: degradation.stallMs },
        });
      }
    }
  }

  /** Every link healthy again: no toxic left, every proxy enabled. */
  async heal(): Promise<void> {
    await this.#request("POST", "/reset");
  }

  async #addToxic(
    link: BrokerLink,
    toxic: { name: string; type: string; stream: string; attributes: Record<string, number> },
  ): Promise<void> {
    await this.#request("POST", `/proxies/${link.name}/toxics`, { ...toxic, toxicity: 1 });
  }

  async #request(method: string, path: string, body?: unknown): Promise<string> {
    const response = await fetch(`${this.#api}${path}`, {
      method,
      headers: body === undefined ? undefined : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${text.trim()}`);
    return text;
  }
}

function linksOf(nodes: readonly number[]): BrokerLink[] {
  return nodes.map((node) => {
    const link = links.find((candidate) => candidate.node === node);
    if (link === undefined) throw new Error(`no broker ${node} behind the fault proxy`);
    return link;
  });
}

/** A TCP port nothing listens on right now, for the proxy's API. */
async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  server.close();
  await once(server, "close");
  if (address === null || typeof address === "string") throw new Error("no free port");
  return address.port;
}
