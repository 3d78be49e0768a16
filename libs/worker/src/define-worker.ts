import type { ServiceContext, ServiceDefinition } from "@kafka-fleet/service";

import type { Handle, WorkerContext } from "./handler.ts";
import { BatchLoop } from "./loops/batch-loop.ts";
import { SingleLoop } from "./loops/single-loop.ts";
import { createBatchMetrics, createConsumerMetrics, createOrderingMetrics } from "./metrics.ts";
import {
  loadBatchWorkerConfig,
  loadSingleWorkerConfig,
  type BatchWorkerConfig,
  type SingleWorkerConfig,
} from "./worker-config.ts";
import { RecordProcessor } from "./processor.ts";
import { int64Values, type Deserializer } from "./record.ts";
import { startKafkaClients, type KafkaClients } from "./start.ts";
import { kafkaTransactions } from "./transactions.ts";

/**
 * The output linger of workers whose records do not wait for each other's results: the unordered single worker
 * and the batch worker (see where each is used).
 */
const SHARED_OUTPUT_LINGER_MS = 20;

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

function batchWorker<T>(spec: BatchWorkerSpec<T>): ServiceDefinition<BatchWorkerConfig> {
  return {
    name: spec.name,
    loadConfig: (env) => loadBatchWorkerConfig(env, spec.name),
    async run(context) {
      const { config, logger, registry, health, signal } = context;
      const metrics = { ...createConsumerMetrics(registry), ...createBatchMetrics(registry) };
      // Exactly-once commits each batch in its own transaction before the next one starts.
      const maxUncommitted = config.exactlyOnce ? 1 : config.maxUncommittedBatches;
      const loop = new BatchLoop({ rules: config.batch, maxUncommitted, logger, metrics, health });
      // The results of several batches under way share requests: at BATCH_SIZE 10 each batch's few results made
      // requests of their own (one per partition leader), and on two cores the brokers' cost per request was the
      // limit. Lingering 20 ms instead of librdkafka's 5 moved 1.8-2.5x as many records (b10 probe, 8 and 32
      // batches under way). A handler that awaits its results resolves up to 20 ms later, and so does the commit.
      // Exactly-once keeps 5 ms: each transaction waits for its own results before the next batch starts.
      const clients = await startKafkaClients(context, {
        service: spec.name,
        metrics,
        autoCommitStoredOffsets: false,
        transactional: config.exactlyOnce,
        ...(config.exactlyOnce ? {} : { outputLingerMs: SHARED_OUTPUT_LINGER_MS }),
        onRevoke: loop.onRevoke,
      });
      logger.info({
        event: "batch_consumer.running",
        groupId: config.groupId,
        guarantee: config.exactlyOnce ? "exactly_once" : "at_least_once",
        ...config.batch,
        maxUncommittedBatches: maxUncommitted,
      });
      const transactions = config.exactlyOnce
        ? kafkaTransactions(clients.output, clients.consumer)
        : undefined;
      await loop.run(
        clients.consumer,
        { processor: processorOf(spec, context, clients), transactions, deadLetters: clients.deadLetters },
        signal,
      );
    },
  };
}

function singleWorker<T>(spec: SingleWorkerSpec<T>): ServiceDefinition<SingleWorkerConfig> {
  return {
    name: spec.name,
    loadConfig: (env) => loadSingleWorkerConfig(env, spec.name),
    async run(context) {
      const { config, logger, registry, health, signal } = context;
      const metrics = createConsumerMetrics(registry);
      const loop = new SingleLoop({
        maxInFlight: config.maxInFlight,
        maxQueued: config.maxQueued,
        ordering: config.ordering,
        logger,
        metrics,
        health,
      });
      createOrderingMetrics(registry, () => loop.held);
      const clients = await startKafkaClients(context, {
        service: spec.name,
        metrics,
        autoCommitStoredOffsets: true,
        // Ordered records wait for their predecessor's result to be acknowledged: lingering would delay each one
        // in turn. Unordered, no record waits for another's result, and 20 ms gathers a request's worth: the
        // results are keyed, so at 5 ms they made a request per broker every 5 ms, and that load delayed the
        // brokers' answers to our own fetches (1,000 msg/s: records reached the handler at p50 44 ms, 13-18 ms
        // at 20; `make bench`'s latency part).
        outputLingerMs: config.ordering === "unordered" ? SHARED_OUTPUT_LINGER_MS : 0,
        onRevoke: loop.onRevoke,
      });
      logger.info({
        event: "single_consumer.running",
        groupId: config.groupId,
        maxInFlight: config.maxInFlight,
        ordering: config.ordering,
        maxQueued: config.maxQueued,
      });
      await loop.run(clients.consumer, { processor: processorOf(spec, context, clients) }, signal);
    },
  };
}

function processorOf<T>(
  spec: WorkerSpecOf<string, T>,
  { config, logger, signal }: ServiceContext<BatchWorkerConfig | SingleWorkerConfig>,
  { output, deadLetters }: KafkaClients,
): RecordProcessor<T> {
  const context: WorkerContext = { signal, logger, producer: output, config };
  return new RecordProcessor({
    handle: spec.handle,
    // Without a deserializer of its own, a worker's values are int64s (T defaults to bigint).
    deserialize: spec.deserialize ?? (int64Values as unknown as Deserializer<T>),
    context,
    deadLetters,
    retry: config.retry,
    logger,
  });
}
