import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

import type { Registry } from "prom-client";

import { FleetError, ErrorCode } from "./errors.ts";
import type { Health } from "./health.ts";

export interface HttpServer {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Serves GET /metrics (Prometheus text), /healthz and /readyz on `host` (default 127.0.0.1: this machine only) and
 * `port` (0 picks a free one).
 */
export async function startHttpServer(options: {
  host?: string;
  port: number;
  registry: Registry;
  health: Health;
}): Promise<HttpServer> {
  const { registry, health } = options;
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? "/").split("?")[0];
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    if (path === "/metrics") {
      registry.metrics().then(
        (text) => response.writeHead(200, { "content-type": registry.contentType }).end(text),
        (error: unknown) => response.writeHead(500).end(String(error)),
      );
      return;
    }
    const probe =
      path === "/healthz" ? health.liveness() : path === "/readyz" ? health.readiness() : undefined;
    if (probe === undefined) {
      response.writeHead(404, { "content-type": "text/plain" }).end("try /metrics, /healthz or /readyz\n");
      return;
    }
    response
      .writeHead(probe.ok ? 200 : 503, { "content-type": "application/json" })
      .end(`${JSON.stringify({ status: probe.ok ? "ok" : "unavailable", detail: probe.detail })}\n`);
  });
  // Scrapers keep connections open; without this, close() would wait for them.
  server.keepAliveTimeout = 5_000;

  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      reject(
        error.code === "EADDRINUSE"
          ? new FleetError(
              ErrorCode.portInUse,
              `port ${options.port} is already in use: set METRICS_PORT to a free port (each process needs its own)`,
            )
          : error.code === "EADDRNOTAVAIL" || error.code === "ENOTFOUND" || error.code === "EAI_AGAIN"
            ? new FleetError(
                ErrorCode.hostUnavailable,
                `cannot listen on ${host} (${error.code}): set METRICS_HOST to an address of this machine (127.0.0.1, or 0.0.0.0 for every interface)`,
              )
            : error,
      );
    });
    server.listen(options.port, host, resolve);
  });

  let closing: Promise<void> | undefined;
  const address = server.address() as AddressInfo;
  return {
    host: address.address,
    port: address.port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
