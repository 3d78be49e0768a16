import { ConfigError, type ServiceContext, type ServiceDefinition } from "@kafka-fleet/service";
import { activeTraceContext } from "@kafka-fleet/tracing";

import type { Handle, WorkerContext } from "./handler.ts";
import {
  kafkaFailureHints,
  oauthBearerPropertyProblems,
  type OAuthBearerTokenProvider,
} from "@kafka-fleet/kafka";
import { ORDERED_OUTPUT_LINGER_MS, SHARED_OUTPUT_LINGER_MS } from "@kafka-fleet/kafka/tunables";
import { BatchLoop } from "./loops/batch-loop.ts";
import { RevocationRelay } from "./loops/revocation-relay.ts";
import { TransactionalBatchLoop } from "./loops/transactional-batch-loop.ts";
import { SingleLoop } from "./loops/single-loop.ts";
import { ShareLoop } from "./loops/share-loop.ts";
import {
  createBatchMetrics,
  createConsumerMetrics,
  createOrderingMetrics,
  createShareMetrics,
} from "./metrics.ts";
import {
  loadBatchWorkerConfig,
  loadShareWorkerConfig,
  loadSingleWorkerConfig,
  type BatchWorkerConfig,
  type ShareWorkerConfig,
  type SingleWorkerConfig,
} from "./worker-config.ts";
import { startShareClients } from "./share/start.ts";
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
   * share: a share group (KIP-932): any number of members on the same partitions, batches of up to BATCH_SIZE in
   * no particular order, each record acknowledged on its own (success ACCEPT, failure RELEASE for another
   * delivery, REJECT after a dead letter on the last of SHARE_MAX_DELIVERIES or when unrecoverable).
   */
  readonly mode: Mode;
  /** Decodes each record's value; int64 big-endian when omitted. A throw makes the record a dead letter. */
  readonly deserialize?: Deserializer<T>;
  /**
   * true: the handler writes to RESULTS_TOPIC (`config.resultsTopic`), so starting without it is a configuration
   * error (exit 2 naming it) rather than records failing one by one. Unset: RESULTS_TOPIC is optional.
   */
  readonly requiresResultsTopic?: boolean;
  /**
   * SASL/OAUTHBEARER with the token from this function (a cloud's IAM, a secrets service) for every Kafka client
   * of the worker: asked when each starts and before its token expires. Needs KAFKA_CLIENT_SECURITY_PROTOCOL
   * SASL_SSL or SASL_PLAINTEXT (exit 2 without it).
   */
  readonly oauthBearerProvider?: OAuthBearerTokenProvider;
  readonly handle: Handle<T>;
}

export type BatchWorkerSpec<T> = WorkerSpecOf<"batch", T>;
export type SingleWorkerSpec<T> = WorkerSpecOf<"single", T>;
export type ShareWorkerSpec<T> = WorkerSpecOf<"share", T>;

/**
 * A worker as a service: `runService(defineWorker({...}))` reads its configuration from the environment
 * (exit 2 on a bad value), connects, consumes KAFKA_TOPIC into `handle`, and stops gracefully on SIGTERM.
 */
export function defineWorker<T = bigint>(spec: BatchWorkerSpec<T>): ServiceDefinition<BatchWorkerConfig>;
export function defineWorker<T = bigint>(spec: SingleWorkerSpec<T>): ServiceDefinition<SingleWorkerConfig>;
export function defineWorker<T = bigint>(spec: ShareWorkerSpec<T>): ServiceDefinition<ShareWorkerConfig>;
export function defineWorker<T>(
  spec: BatchWorkerSpec<T> | SingleWorkerSpec<T> | ShareWorkerSpec<T>,
):
  | ServiceDefinition<BatchWorkerConfig>
  | ServiceDefinition<SingleWorkerConfig>
  | ServiceDefinition<ShareWorkerConfig> {
  if (spec.mode === "share") return shareWorker(spec);
  return spec.mode === "batch" ? batchWorker(spec) : singleWorker(spec);
}

/** A worker's service definition: its name, its configuration, the hints for Kafka's failures, its work. */
function workerService<Config extends BatchWorkerConfig | SingleWorkerConfig | ShareWorkerConfig>(
  spec: Pick<WorkerSpecOf<string, unknown>, "name" | "requiresResultsTopic" | "oauthBearerProvider">,
  load: (env: NodeJS.ProcessEnv, name: string) => Readonly<Config>,
  run: (context: ServiceContext<Config>) => Promise<void>,
): ServiceDefinition<Config> {
  const loadConfig = (env: NodeJS.ProcessEnv) => {
    const config = load(env, spec.name);
    if (spec.requiresResultsTopic === true && config.resultsTopic === undefined) {
      throw new ConfigError([`RESULTS_TOPIC is required: ${spec.name} writes its results there`]);
    }
    const tokenProblems =
      spec.oauthBearerProvider === undefined ? [] : oauthBearerPropertyProblems(config.clientProperties);
    if (tokenProblems.length > 0) throw new ConfigError(tokenProblems);
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
      oauthBearerProvider: spec.oauthBearerProvider,
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
      oauthBearerProvider: spec.oauthBearerProvider,
      autoCommitStoredOffsets: true,
      outputLingerMs: config.ordering === "partition" ? ORDERED_OUTPUT_LINGER_MS : SHARED_OUTPUT_LINGER_MS,
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

/** Why a share worker refuses an oauthBearerProvider. */
const SHARE_WITHOUT_TOKEN_PROVIDER =
  "oauthBearerProvider is not available in mode share yet: the binding's share consumer has no token refresh " +
  "callback; give the token through librdkafka's own OAUTHBEARER settings (KAFKA_CLIENT_SASL_OAUTHBEARER_*), or " +
  "use mode batch";

function shareWorker<T>(spec: ShareWorkerSpec<T>): ServiceDefinition<ShareWorkerConfig> {
  // Refused rather than ignored: the share consumer would connect without the provider's token.
  const load = (env: NodeJS.ProcessEnv, name: string) => {
    if (spec.oauthBearerProvider !== undefined) throw new ConfigError([SHARE_WITHOUT_TOKEN_PROVIDER]);
    return loadShareWorkerConfig(env, name);
  };
  return workerService(spec, load, async (context) => {
    const { config, logger, registry, health, signal } = context;
    const metrics = {
      ...createConsumerMetrics(registry, decodeFailureCodes(deserializerOf(spec))),
      ...createShareMetrics(registry),
    };
    const clients = await startShareClients(context, { service: spec.name, metrics });
    logger.info({
      event: "share_consumer.running",
      groupId: config.groupId,
      maxRecords: config.maxRecords,
      maxDeliveries: config.maxDeliveries,
      dlq: config.dlqTopic,
    });
    await new ShareLoop({
      consumer: clients.consumer,
      handle: spec.handle,
      deserialize: deserializerOf(spec),
      // The share loop starts no spans of its own (yet): a handler's spans nest under whatever is active.
      context: {
        signal,
        logger,
        producer: clients.output,
        config,
        get traceContext() {
          return activeTraceContext();
        },
      },
      deadLetters: clients.deadLetters,
      maxDeliveries: config.maxDeliveries,
      signal,
      logger,
      metrics,
      health,
    }).run();
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
