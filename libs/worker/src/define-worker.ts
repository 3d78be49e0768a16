import { ConfigError, type ServiceContext, type ServiceDefinition } from "@kafka-fleet/service";
import { activeTraceContext } from "@kafka-fleet/tracing";

import type { Handle, WorkerContext } from "./handler.ts";
import { kafkaFailureHints } from "@kafka-fleet/kafka";
import { ORDERED_OUTPUT_LINGER_MS, SHARED_OUTPUT_LINGER_MS } from "@kafka-fleet/kafka/tunables";
import { BatchLoop } from "./loops/batch-loop.ts";
import { RevocationRelay } from "./loops/revocation-relay.ts";
import { TransactionalBatchLoop } from "./loops/transactional-batch-loop.ts";
import { SingleLoop } from "./loops/single-loop.ts";
import { createBatchMetrics, createConsumerMetrics, createOrderingMetrics } from "./metrics.ts";
import {
  loadBatchWorkerConfig,
  loadSingleWorkerConfig,
  type BatchWorkerConfig,
  type SingleWorkerConfig,
} from "./worker-config.ts";
import { RecordProcessor } from "./processor.ts";
import { decodeFailureCodes, int64Values, type Deserializer } from "./record.ts";
import { startKafkaClients, type KafkaClients } from "./start.ts";
import { kafkaTransactions } from "./transactions.ts";

interface WorkerSpecOf<Mode extends string, T> {
  /**
   * The service's name: the `service` of its logs and metrics, its Kafka client ids, and its default consumer
   * group (`kafka-fleet-<name>`, CONSUMER_GROUP overrides it).
   */
  readonly name: string;
  /**
   * batch: records in batches of up to BATCH_SIZE (or what came within BATCH_MAX_WAIT_MS), each partition's in
   * offset order; offsets committed per batch, pipelined (BATCH_MAX_UNCOMMITTED), or exactly once
   * (PROCESSING_GUARANTEE). single: one record per call, up to MAX_IN_FLIGHT at once, in ORDERING order.
   */
  readonly mode: Mode;
  /** Decodes each record's value; int64 big-endian when omitted. A throw makes the record a dead letter. */
  readonly deserialize?: Deserializer<T>;
  /**
   * true: the handler writes to RESULTS_TOPIC (`config.resultsTopic`), so starting without it is a configuration
   * error (exit 2 naming it) rather than records failing one by one. Unset: RESULTS_TOPIC is optional.
   */
  readonly requiresResultsTopic?: boolean;
  readonly handle: Handle<T>;
}

export type BatchWorkerSpec<T> = WorkerSpecOf<"batch", T>;
export type SingleWorkerSpec<T> = WorkerSpecOf<"single", T>;

/**
 * A worker as a service: `runService(defineWorker({...}))` reads its configuration from the environment
 * (exit 2 on a bad value), connects, consumes KAFKA_TOPIC into `handle`, and stops gracefully on SIGTERM.
 */
export function defineWorker<T = bigint>(spec: BatchWorkerSpec<T>): ServiceDefinition<BatchWorkerConfig>;
export function defineWorker<T = bigint>(spec: SingleWorkerSpec<T>): ServiceDefinition<SingleWorkerConfig>;
export function defineWorker<T>(
  spec: BatchWorkerSpec<T> | SingleWorkerSpec<T>,
): ServiceDefinition<BatchWorkerConfig> | ServiceDefinition<SingleWorkerConfig> {
  return spec.mode === "batch" ? batchWorker(spec) : singleWorker(spec);
}

/** A worker's service definition: its name, its configuration, the hints for Kafka's failures, its work. */
function workerService<Config extends BatchWorkerConfig | SingleWorkerConfig>(
  spec: Pick<WorkerSpecOf<string, unknown>, "name" | "requiresResultsTopic">,
  load: (env: NodeJS.ProcessEnv, name: string) => Readonly<Config>,
  run: (context: ServiceContext<Config>) => Promise<void>,
): ServiceDefinition<Config> {
  const loadConfig = (env: NodeJS.ProcessEnv) => {
    const config = load(env, spec.name);
    if (spec.requiresResultsTopic === true && config.resultsTopic === undefined) {
      throw new ConfigError([`RESULTS_TOPIC is required: ${spec.name} writes its results there`]);
    }
    return config;
  };
  return { name: spec.name, loadConfig, failureHints: kafkaFailureHints, run };
}

function batchWorker<T>(spec: BatchWorkerSpec<T>): ServiceDefinition<BatchWorkerConfig> {
  return workerService(spec, loadBatchWorkerConfig, async (context) => {
    const { config, logger, registry, health, signal } = context;
    const metrics = {
      ...createConsumerMetrics(registry, decodeFailureCodes(deserializerOf(spec))),
      ...createBatchMetrics(registry),
    };
    // Exactly-once commits each batch in its own transaction before the next one starts.
    const maxUncommitted = config.exactlyOnce ? 1 : config.maxUncommittedBatches;
    const revocations = new RevocationRelay();
    // The results of several batches under way share requests (SHARED_OUTPUT_LINGER_MS); exactly-once keeps
    // librdkafka's linger: each transaction waits for its own results before the next batch starts.
    const clients = await startKafkaClients(context, {
      service: spec.name,
      metrics,
      autoCommitStoredOffsets: false,
      transactional: config.exactlyOnce,
      ...(config.exactlyOnce ? {} : { outputLingerMs: SHARED_OUTPUT_LINGER_MS }),
      onRevoke: revocations.onRevoke,
    });
    logger.info({
      event: "batch_consumer.running",
      groupId: config.groupId,
      guarantee: config.exactlyOnce ? "exactly_once" : "at_least_once",
      ...config.batch,
      maxUncommittedBatches: maxUncommitted,
    });
    const parts = {
      rules: config.batch,
      consumer: clients.consumer,
      processor: processorOf(spec, context, clients),
      signal,
      logger,
      metrics,
      health,
    };
    const loop = config.exactlyOnce
      ? new TransactionalBatchLoop({
          ...parts,
          transactions: kafkaTransactions(clients.output, clients.consumer),
          deadLetters: clients.deadLetters,
        })
      : new BatchLoop({ ...parts, maxUncommitted });
    revocations.bind(loop);
    await loop.run();
  });
}

function singleWorker<T>(spec: SingleWorkerSpec<T>): ServiceDefinition<SingleWorkerConfig> {
  return workerService(spec, loadSingleWorkerConfig, async (context) => {
    const { config, logger, registry, health, signal } = context;
    const metrics = createConsumerMetrics(registry, decodeFailureCodes(deserializerOf(spec)));
    // Registered before the consumer connects, so /metrics shows them from the start (0 until the loop runs).
    const running: { loop?: SingleLoop } = {};
    createOrderingMetrics(registry, () => running.loop?.held ?? { inFlight: 0, queued: 0 });
    const revocations = new RevocationRelay();
    const clients = await startKafkaClients(context, {
      service: spec.name,
      metrics,
      autoCommitStoredOffsets: true,
      outputLingerMs: config.ordering === "unordered" ? SHARED_OUTPUT_LINGER_MS : ORDERED_OUTPUT_LINGER_MS,
      onRevoke: revocations.onRevoke,
    });
    logger.info({
      event: "single_consumer.running",
      groupId: config.groupId,
      maxInFlight: config.maxInFlight,
      ordering: config.ordering,
      maxQueued: config.maxQueued,
    });
    const loop = new SingleLoop({
      consumer: clients.consumer,
      processor: processorOf(spec, context, clients),
      signal,
      maxInFlight: config.maxInFlight,
      maxQueued: config.maxQueued,
      ordering: config.ordering,
      logger,
      metrics,
      health,
    });
    running.loop = loop;
    revocations.bind(loop);
    await loop.run();
  });
}

function processorOf<T>(
  spec: WorkerSpecOf<string, T>,
  { config, logger, signal }: ServiceContext<BatchWorkerConfig | SingleWorkerConfig>,
  { output, deadLetters }: KafkaClients,
): RecordProcessor<T> {
  const context: WorkerContext = {
    signal,
    logger,
    producer: output,
    config,
    // Read at each access: the context active in the handler's call.
    get traceContext() {
      return activeTraceContext();
    },
  };
  return new RecordProcessor({
    handle: spec.handle,
    deserialize: deserializerOf(spec),
    context,
    deadLetters,
    retry: config.retry,
    logger,
  });
}

/** The worker's deserializer: without one of its own, its values are int64s (T defaults to bigint). */
function deserializerOf<T>(spec: WorkerSpecOf<string, T>): Deserializer<T> {
  return spec.deserialize ?? (int64Values as unknown as Deserializer<T>);
}
