import { startTracing } from "@kafka-fleet/tracing";
import type { Registry } from "prom-client";

import type { ServiceConfig } from "./config.ts";
import { ConfigError, ErrorCode, describeFailure, errorFields, type FailureHints } from "./errors.ts";
import { Health } from "./health.ts";
import { startHttpServer } from "./http-server.ts";
import { createLogger, type Logger } from "./logger.ts";
import { createHealthMetrics, createRegistry } from "./metrics.ts";

/** Exit codes of every service (docs/design.md, Exit codes). */
export const ExitCode = { ok: 0, failure: 1, badConfig: 2 } as const;

export interface ServiceContext<Config extends ServiceConfig> {
  readonly config: Readonly<Config>;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly health: Health;
  /** Aborted by the first SIGTERM/SIGINT: stop fetching, finish the work in hand, then return from `run`. */
  readonly signal: AbortSignal;
  /** Registers a clean-up step; steps run after `run` settles, last registered first, each on its own. */
  readonly onStop: (name: string, step: () => Promise<void> | void) => void;
}

export interface ServiceDefinition<Config extends ServiceConfig> {
  readonly name: string;
  /** Reads the environment once; throws ConfigError on a bad value. */
  loadConfig(env: NodeJS.ProcessEnv): Readonly<Config>;
  /** The service's work. Resolves with its exit code (0 when omitted) once done or once stopped. */
  run(context: ServiceContext<Config>): Promise<number | void>;
  /** What to check, by error code, added to the line the service exits with (e.g. libs/kafka's). */
  readonly failureHints?: FailureHints;
}

export interface RunOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** How long a poll loop may stay silent before /healthz answers 503. */
  readonly stallAfterMs?: number;
}

/**
 * The shell every service runs in: config → logger and metrics → HTTP → run → stop steps in reverse.
 * The first SIGTERM/SIGINT starts a graceful stop bounded by SHUTDOWN_GRACE_MS; a second one forces the exit. The
 * stop after a failure of the run is bounded by SHUTDOWN_GRACE_MS too.
 * The exit code is set, not forced, so no exit happens in the middle of a commit.
 */
export async function runService<Config extends ServiceConfig>(
  definition: ServiceDefinition<Config>,
  options: RunOptions = {},
): Promise<void> {
  let config: Readonly<Config>;
  try {
    config = definition.loadConfig(options.env ?? process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // One line a person can act on, not a stack trace: it names each variable, its value and what was expected.
    process.stderr.write(`${definition.name}: ${error.message}\n`);
    process.exitCode = ExitCode.badConfig;
    return;
  }
  // Off unless the OTEL_* variables configure it (checked with the configuration): the SDK is not even loaded then.
  const tracing = await startTracing({ serviceName: definition.name, enabled: config.tracing.enabled });

  const logger = createLogger({ service: definition.name, level: config.logLevel });
  const registry = createRegistry(definition.name);
  const health = new Health({ stallAfterMs: options.stallAfterMs ?? 30_000 });
  createHealthMetrics(registry, health);
  // The last stop step: the spans of the other steps (the last commits) are exported too.
  const stopSteps: Array<{ name: string; step: () => Promise<void> | void }> = [
    { name: "tracing", step: () => tracing.shutdown() },
  ];
  const controller = new AbortController();
  let graceTimer: NodeJS.Timeout | undefined;

  const onFatal = (kind: string) => (error: unknown) => {
    logger.fatal({ event: "service.crashed", kind, ...errorFields(error) }, "unexpected error");
    process.exit(ExitCode.failure);
  };
  process.on("uncaughtException", onFatal("uncaughtException"));
  process.on("unhandledRejection", onFatal("unhandledRejection"));

  // Whatever starts the stop (a signal, or the run's own failure), it ends within SHUTDOWN_GRACE_MS: a stop step
  // that never ends (a client's close waiting on a call of its own that is stuck) must not keep the process up.
  const boundTheStop = () => {
    graceTimer ??= setTimeout(() => {
      logger.error(
        { event: "shutdown.timeout", code: ErrorCode.shutdownTimeout, graceMs: config.shutdownGraceMs },
        "graceful stop did not finish within SHUTDOWN_GRACE_MS",
      );
      process.exit(ExitCode.failure);
    }, config.shutdownGraceMs);
  };

  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      logger.warn({ event: "shutdown.forced", signal }, "second signal: exiting now");
      process.exit(ExitCode.failure);
    }
    logger.info(
      { event: "shutdown.requested", signal, graceMs: config.shutdownGraceMs },
      "stopping gracefully",
    );
    health.setReady(false, "stopping");
    controller.abort(signal);
    boundTheStop();
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);

  let exitCode: number;
  try {
    const server = await startHttpServer({
      host: config.metricsHost,
      port: config.metricsPort,
      registry,
      health,
    });
    stopSteps.push({ name: "http server", step: () => server.close() });
    logger.info(
      {
        event: "service.started",
        metricsHost: server.host,
        metricsPort: server.port,
        tracing: config.tracing.enabled ? (config.tracing.endpoint ?? true) : false,
      },
      `metrics on ${server.host.includes(":") ? `[${server.host}]` : server.host}:${server.port}/metrics`,
    );

    const context: ServiceContext<Config> = {
      config,
      logger,
      registry,
      health,
      signal: controller.signal,
      onStop: (name, step) => void stopSteps.push({ name, step }),
    };
    exitCode = (await definition.run(context)) ?? ExitCode.ok;
  } catch (error) {
    // The library's facts, and what to check (the variable, the command) added here by code.
    const failure = describeFailure(error, definition.failureHints);
    logger.error({ event: "service.failed", ...failure, err: error }, failure.message);
    exitCode = ExitCode.failure;
    boundTheStop();
  }

  for (const { name, step } of stopSteps.reverse()) {
    try {
      await step();
    } catch (error) {
      // A failed step must not skip the others: log it, remember the failure, go on.
      logger.error(
        { event: "shutdown.step_failed", step: name, ...errorFields(error) },
        `stopping ${name} failed`,
      );
      exitCode = exitCode || ExitCode.failure;
    }
  }

  clearTimeout(graceTimer);
  process.off("SIGTERM", onSignal);
  process.off("SIGINT", onSignal);
  logger.info({ event: "service.stopped", exitCode }, "stopped");
  process.exitCode = exitCode;
  // Everything is closed; if a native handle still holds the event loop open, do not hang on it.
  setTimeout(() => process.exit(), 2_000).unref();
}
