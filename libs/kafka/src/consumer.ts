import { inCommitSpan, tracingEnabled } from "@kafka-fleet/tracing";

import type { ClientIdentity } from "./client-config.ts";
import { baseClientConfig } from "./client-config.ts";
import { logClientEvents } from "./client-log.ts";
import { connectClient, tokenRefreshOf } from "./connect.ts";
import { KafkaError, KafkaErrorCode, messageOf } from "./errors.ts";
import type { ConsumerHealth, ConsumerInstruments, KafkaLogger } from "./instruments.ts";
import { joining, membershipAfter, type Membership, type RebalanceOutcome } from "./membership.ts";
import { canConsumePacked, unpackRecords, type PackedRecord } from "./packed-records.ts";
import { partitionLag, type PartitionStats } from "./partition-lag.ts";
import {
  ErrorCodes,
  KafkaConsumer,
  type CooperativeConsumer,
  type KafkaConsumerClient,
  type LibrdKafkaError,
  type Message,
  type TopicPartition,
  type TopicPartitionOffset,
  toError,
} from "./rdkafka.ts";
import { FETCH_QUEUE_BACKOFF_MS } from "./tunables.ts";

/** A consumed record: read in place from a packed batch, or the binding's message object. */
export type ConsumedRecord = PackedRecord | Message;

/** How long the read-back that confirms a commit may take before the commit counts as failed (and is retried). */
const COMMIT_READ_BACK_TIMEOUT_MS = 30_000;
/** Classic protocol's session.timeout.ms unless KAFKA_CLIENT_SESSION_TIMEOUT_MS says otherwise (see its use). */
const SESSION_TIMEOUT_MS = 45_000;

export interface FleetConsumerOptions {
  readonly identity: ClientIdentity;
  readonly logger: KafkaLogger;
  readonly metrics: ConsumerInstruments;
  readonly health: ConsumerHealth;
  readonly groupId: string;
  /**
   * What to subscribe to, as librdkafka takes it: topic names, or a regular expression starting with `^`, whose
   * matches librdkafka looks for again every topic.metadata.refresh.interval.ms.
   */
  readonly topics: readonly string[];
  /**
   * Called with the topics of an assignment not seen before, before any of their records is taken. A throw
   * (a topic the member must not read, or one whose outputs are missing) fails the member: its records are never
   * handed out, and every later `consume()` rejects with that error, so that the service stops.
   */
  readonly admit?: (topics: readonly string[]) => Promise<void>;
  readonly connectTimeoutMs: number;
  /**
   * true: librdkafka commits the offsets we store, every few seconds (single-consumer).
   * false: nothing is committed but what `commitInBackground()` is given (batch-consumer).
   */
  readonly autoCommitStoredOffsets: boolean;
  /**
   * Called when partitions are taken away, before they are given up: finish and commit the work in hand for
   * them here. `lost` means another member may own them already (session expired): committing is pointless.
   */
  readonly onRevoke: (partitions: readonly TopicPartition[], lost: boolean) => Promise<void>;
  /**
   * The group protocol: "classic" (the client-side cooperative-sticky assignor, the default) or "consumer"
   * (KIP-848: the broker assigns, members never stop together). Same revoke and assign callbacks either way.
   */
  readonly groupProtocol?: "classic" | "consumer";
  /** Extra librdkafka settings. */
  readonly config?: Record<string, string | number | boolean>;
}

/**
 * A group member on the cooperative-sticky assignor. Revocations go through `onRevoke` before the partitions
 * are released, and records of partitions no longer owned are filtered out by `owns()`.
 */
export class FleetConsumer {
  readonly #client: CooperativeConsumer;
  readonly #options: FleetConsumerOptions;
  /** Partitions owned, by topic: asked once per record, so no key is built per call. */
  readonly #owned = new Map<string, Set<number>>();
  /** Partitions pauseOwned paused and nothing resumed yet, owned or not ("topic/partition"). */
  readonly #paused = new Set<string>();
  #rebalances: Promise<void> = Promise.resolve();
  /** What /readyz says: a member of the group (partitions or not), from the rebalance events. */
  #membership: Membership;
  #closing: Promise<void> | undefined;
  /** Subscribed to a `^` pattern, not to topic names. */
  readonly #byPattern: boolean;
  /** Topics `admit` accepted. */
  readonly #admitted = new Set<string>();
  /** Why `admit` refused an assignment: every consume() from then on rejects with it. */
  #refusal: Error | undefined;

  private constructor(options: FleetConsumerOptions) {
    this.#options = options;
    this.#byPattern = options.topics.some((topic) => topic.startsWith("^"));
    this.#membership = joining(options.groupId);
    this.#client = new KafkaConsumer({
      // Before the shared settings, so that KAFKA_CLIENT_FETCH_QUEUE_BACKOFF_MS still sets it.
      "fetch.queue.backoff.ms": FETCH_QUEUE_BACKOFF_MS,
      ...baseClientConfig(options.identity, options.groupId),
      "group.id": options.groupId,
      ...(options.groupProtocol === "consumer"
        ? // The broker assigns and times sessions out (group.consumer.session.timeout.ms): librdkafka refuses
          // its own assignor and session settings under this protocol.
          { "group.protocol": "consumer" }
        : {
            "partition.assignment.strategy": "cooperative-sticky",
            // Kafka's default, kept on purpose: a session must outlive the group coordinator's move when its broker
            // dies (the broker fenced after broker.session.timeout.ms, 9 s by default, then the coordinator
            // reloaded elsewhere), or every member drops its assignment and the uncommitted batches are redone.
            // The price: a crashed member's partitions wait up to this long (docs/reliability.md).
            "session.timeout.ms": SESSION_TIMEOUT_MS,
          }),
      "enable.auto.commit": options.autoCommitStoredOffsets,
      // Offsets are stored by us after processing, never by librdkafka when it hands a record over.
      "enable.auto.offset.store": false,
      "auto.offset.reset": "earliest",
      "statistics.interval.ms": 5_000,
      // librdkafka's own periodic commits of stored offsets are counted here; ours are counted in commitStored() and commitInBackground().
      ...(options.autoCommitStoredOffsets
        ? {
            offset_commit_cb: (error: LibrdKafkaError | null | undefined) => {
              if (!error) options.metrics.commits.inc({ result: "ok" });
              else if (error.code !== ErrorCodes.ERR__NO_OFFSET)
                options.metrics.commits.inc({ result: "failed" });
            },
          }
        : {}),
      rebalance_cb: (error: LibrdKafkaError, assignment: TopicPartition[]) =>
        this.#onRebalance(error, assignment),
      // The user's KAFKA_CLIENT_* properties win over the defaults above (session timeout, offset reset, ...).
      ...options.identity.properties,
      ...options.config,
    }) as CooperativeConsumer;
  }

  static async connect(options: FleetConsumerOptions): Promise<FleetConsumer> {
    const self = new FleetConsumer(options);
    const client = self.#client;
    const { logger } = options;
    logClientEvents(client, logger, "consumer");
    client.on("event.stats", (stats: { message: string }) => self.#onStats(stats.message));
    await connectClient(
      client,
      options.identity.bootstrapServers,
      options.connectTimeoutMs,
      tokenRefreshOf(options.identity, options.groupId),
    );
    // Wait for the first record only: a call returns what is already fetched instead of waiting to fill up.
    client.setDefaultIsTimeoutOnlyForFirstMessage(true);
    client.subscribe([...options.topics]);
    logger.info({ event: "consumer.subscribed", topic: options.topics.join(","), groupId: options.groupId });
    return self;
  }

  /**
   * Up to `max` records, waiting at most `timeoutMs` for the first one. With the binding's record-packing patch
   * a batch without headers comes as `PackedRecord`s read in place (see packed-records.ts); otherwise, and for a
   * batch with headers, as the binding's message objects.
   */
  consume(max: number, timeoutMs: number): Promise<ConsumedRecord[]> {
    if (this.#refusal !== undefined) return Promise.reject(this.#refusal);
    const client = this.#client;
    client.setDefaultConsumeTimeout(timeoutMs);
    return new Promise((resolve, reject) => {
      const settle = (error: LibrdKafkaError | null | undefined, records: ConsumedRecord[]) => {
        if (!error) return resolve(records);
        // librdkafka says "unknown topic" once for a pattern that matches nothing yet: the member waits for one.
        if (error.code === ErrorCodes.ERR_UNKNOWN_TOPIC_OR_PART && this.#byPattern) return resolve([]);
        reject(toError(error));
      };
      if (canConsumePacked(client)) {
        client.consumePacked(max, (error, batch) =>
          settle(error, batch === undefined ? [] : Array.isArray(batch) ? batch : unpackRecords(batch)),
        );
      } else {
        client.consume(max, settle);
      }
    });
  }

  /** The client itself, for what must name it: a transaction's offsets carry its group metadata. */
  get client(): KafkaConsumerClient {
    return this.#client;
  }

  owns(topic: string, partition: number): boolean {
    return this.#owned.get(topic)?.has(partition) === true;
  }

  get ownedPartitions(): number {
    let count = 0;
    for (const ofTopic of this.#owned.values()) count += ofTopic.size;
    return count;
  }

  /**
   * Stops fetching from every partition owned now, so that the member can keep polling (and so stay in its group
   * and serve rebalances) without taking more records. librdkafka drops what it fetched ahead for them and, on
   * resume, fetches again from the first record not yet consumed: nothing is skipped or repeated.
   */
  pauseOwned(): void {
    const partitions = this.#ownedPartitionList().filter((partition) => !this.#paused.has(keyOf(partition)));
    if (partitions.length === 0) return;
    this.#pauseOrResume(partitions, true);
    for (const partition of partitions) this.#paused.add(keyOf(partition));
  }

  /** Fetches again from the partitions owned now that pauseOwned paused. */
  resumeOwned(): void {
    const partitions = this.#ownedPartitionList().filter((partition) => this.#paused.has(keyOf(partition)));
    if (partitions.length === 0) return;
    this.#pauseOrResume(partitions, false);
    for (const partition of partitions) this.#paused.delete(keyOf(partition));
  }

  #ownedPartitionList(): TopicPartition[] {
    const partitions: TopicPartition[] = [];
    for (const [topic, ofTopic] of this.#owned) {
      for (const partition of ofTopic) partitions.push({ topic, partition });
    }
    return partitions;
  }

  #pauseOrResume(partitions: TopicPartition[], pause: boolean): void {
    try {
      if (pause) this.#client.pause(partitions);
      else this.#client.resume(partitions);
    } catch (error) {
      // A partition revoked in between: the next call covers the ones owned then.
      this.#options.logger.debug({ event: "consumer.pause_failed", pause, err: error });
    }
  }

  /**
   * librdkafka keeps an application's pause across a revocation: a partition paused, revoked and assigned again
   * would never be fetched. Resumed as it comes back (nothing of it is fetched yet, so nothing is dropped).
   */
  #resumeIfPausedBefore(assigned: readonly TopicPartition[]): void {
    const stale = assigned.filter((partition) => this.#paused.has(keyOf(partition)));
    if (stale.length === 0) return;
    this.#pauseOrResume(stale, false);
    for (const partition of stale) this.#paused.delete(keyOf(partition));
  }

  #own(partitions: readonly TopicPartition[]): void {
    for (const { topic, partition } of partitions) {
      const ofTopic = this.#owned.get(topic);
      if (ofTopic === undefined) this.#owned.set(topic, new Set([partition]));
      else ofTopic.add(partition);
    }
  }

  #disown(partitions: readonly TopicPartition[]): void {
    for (const { topic, partition } of partitions) this.#owned.get(topic)?.delete(partition);
  }

  /** Marks records as processed; with auto-commit on, librdkafka commits them within auto.commit.interval.ms. */
  storeOffsets(offsets: readonly TopicPartitionOffset[]): void {
    this.#client.offsetsStore(offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset })));
  }

  /**
   * Commits the offsets stored so far (storeOffsets) and returns once the broker accepted them. This is
   * librdkafka's synchronous commit: it holds the event loop for one round trip (a few ms), and it is the only
   * commit in this client that reports the broker's answer; the asynchronous ones report only that the commit
   * was queued.
   */
  commitStored(): Promise<void> {
    if (!tracingEnabled()) return this.#commitStored();
    return inCommitSpan({ topic: this.#options.topics.join(","), groupId: this.#options.groupId }, () =>
      this.#commitStored(),
    );
  }

  #commitStored(): Promise<void> {
    // Once closing, the client is gone and a commit can only fail; with auto-commit on, librdkafka's own close
    // has committed the stored offsets already (a revoke handled during close asks for exactly that).
    if (this.#closing !== undefined && this.#options.autoCommitStoredOffsets) return Promise.resolve();
    try {
      // null: the stored offsets of every assigned partition.
      this.#client.commitSync(null as unknown as TopicPartitionOffset[]);
    } catch (error) {
      // Nothing stored to commit is not a failure.
      if ((error as LibrdKafkaError).code === ErrorCodes.ERR__NO_OFFSET) return Promise.resolve();
      this.#options.metrics.commits.inc({ result: "failed" });
      const reason = (error as LibrdKafkaError).message;
      return Promise.reject(
        new KafkaError(KafkaErrorCode.commitFailed, `commit failed: ${reason}`, { cause: error }),
      );
    }
    this.#options.metrics.commits.inc({ result: "ok" });
    return Promise.resolve();
  }

  /**
   * Commits `offsets` (each the next offset to read) without blocking the event loop, and resolves once the
   * group's coordinator holds them. librdkafka's asynchronous commit only queues the request, and its answer
   * (offset_commit_cb) is served only while a `consume()` happens to be polling; so the commit is followed by
   * a read-back of the committed offsets on a worker thread. Both go to the coordinator over one connection,
   * which Kafka serves in order: the read-back sees the commit, or the commit failed (e.g. a rebalance under
   * way) and the offsets read are older. Either way the event loop never waits for the broker.
   */
  commitInBackground(offsets: readonly TopicPartitionOffset[]): Promise<void> {
    const first = offsets[0];
    if (first === undefined || !tracingEnabled()) return this.#commitInBackground(offsets);
    return inCommitSpan({ topic: first.topic, groupId: this.#options.groupId, offsets }, () =>
      this.#commitInBackground(offsets),
    );
  }

  async #commitInBackground(offsets: readonly TopicPartitionOffset[]): Promise<void> {
    if (offsets.length === 0) return;
    const plain = offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset }));
    let held: TopicPartitionOffset[];
    try {
      this.#client.commit(plain);
      held = await new Promise<TopicPartitionOffset[]>((resolve, reject) =>
        this.#client.committed(
          plain.map(({ topic, partition }) => ({ topic, partition })),
          COMMIT_READ_BACK_TIMEOUT_MS,
          (error, partitions) => (error ? reject(toError(error)) : resolve(partitions)),
        ),
      );
    } catch (error) {
      throw this.#commitFailure(messageOf(error), error);
    }
    const behind = plain.filter((wanted) => {
      const found = held.find((one) => one.topic === wanted.topic && one.partition === wanted.partition);
      return (found?.offset ?? -1) < wanted.offset;
    });
    if (behind.length > 0) {
      const which = behind.map(({ partition, offset }) => `${partition}:${offset}`).join(",");
      throw this.#commitFailure(`the coordinator does not hold ${which} after the commit`);
    }
    this.#options.metrics.commits.inc({ result: "ok" });
  }

  #commitFailure(reason: string, cause?: unknown): KafkaError {
    this.#options.metrics.commits.inc({ result: "failed" });
    return new KafkaError(KafkaErrorCode.commitFailed, `commit failed: ${reason}`, { cause });
  }

  /**
   * Revokes (and so finishes) what we own, leaves the group and closes. Idempotent. A static member
   * (group.instance.id) does not leave: its partitions wait for it until its session times out.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await new Promise<void>((resolve) => this.#client.disconnect(() => resolve()));
      await this.#rebalances;
      this.#options.health.expectBeats(false);
      this.#options.logger.info({ event: "consumer.closed", groupId: this.#options.groupId });
    })();
    return this.#closing;
  }

  #onRebalance(error: LibrdKafkaError, assignment: TopicPartition[]): void {
    // Rebalance events are handled one at a time, in order: a revoke must finish before the next assign.
    this.#rebalances = this.#rebalances.then(() => this.#handleRebalance(error, assignment));
  }

  async #handleRebalance(error: LibrdKafkaError, assignment: TopicPartition[]): Promise<void> {
    const { logger, metrics, health } = this.#options;
    const partitions = assignment.map(({ topic, partition }) => ({ topic, partition }));
    let outcome: RebalanceOutcome = "error";
    try {
      if (error.code === ErrorCodes.ERR__ASSIGN_PARTITIONS) {
        const admitted = await this.#admit(partitions);
        if (admitted) this.#own(partitions);
        this.#client.incrementalAssign(partitions);
        if (admitted) this.#resumeIfPausedBefore(partitions);
        // Assigned (the protocol wants it) but never owned: none of their records reaches the loops.
        else this.#pauseOrResume(partitions, true);
        outcome = "assigned";
        metrics.rebalances.inc({ kind: "assigned" });
        logger.info({
          event: "rebalance.assigned",
          partitions: describe(partitions),
          owned: this.ownedPartitions,
        });
      } else if (error.code === ErrorCodes.ERR__REVOKE_PARTITIONS) {
        const lost = this.#client.assignmentLost();
        outcome = lost ? "lost" : "revoked";
        // Stop accepting their records at once; records already in hand are finished by onRevoke.
        this.#disown(partitions);
        try {
          await this.#options.onRevoke(partitions, lost);
        } finally {
          this.#client.incrementalUnassign(partitions);
        }
        for (const { topic, partition } of partitions) {
          metrics.consumerLag.remove({ topic, partition: String(partition) });
        }
        metrics.rebalances.inc({ kind: lost ? "lost" : "revoked" });
        logger.info({
          event: "rebalance.revoked",
          partitions: describe(partitions),
          lost,
          owned: this.ownedPartitions,
        });
      } else {
        logger.error({ event: "rebalance.error", err: error, code: error.code }, error.message);
      }
    } catch (failure) {
      logger.error({ event: "rebalance.failed", err: failure }, "handling a rebalance failed");
    }
    const owned = this.ownedPartitions;
    this.#membership = membershipAfter(outcome, {
      groupId: this.#options.groupId,
      owned,
      previous: this.#membership,
    });
    health.setReady(this.#membership.member, this.#membership.reason);
    health.expectBeats(owned > 0);
  }

  /** Whether the topics of `partitions` may be read (FleetConsumerOptions.admit); a refusal is kept. */
  async #admit(partitions: readonly TopicPartition[]): Promise<boolean> {
    if (this.#refusal !== undefined) return false;
    const { admit } = this.#options;
    const fresh = [...new Set(partitions.map(({ topic }) => topic))].filter(
      (topic) => !this.#admitted.has(topic),
    );
    if (admit === undefined || fresh.length === 0) return true;
    try {
      await admit(fresh);
    } catch (error) {
      this.#refusal = error instanceof Error ? error : new Error(String(error));
      return false;
    }
    for (const topic of fresh) this.#admitted.add(topic);
    return true;
  }

  #onStats(json: string): void {
    let stats: { topics?: Record<string, { partitions?: Record<string, PartitionStats> }> };
    try {
      stats = JSON.parse(json) as typeof stats;
    } catch {
      return;
    }
    for (const [topic, topicStats] of Object.entries(stats.topics ?? {})) {
      for (const [partition, partitionStats] of Object.entries(topicStats.partitions ?? {})) {
        // Partition -1 is librdkafka's internal "unassigned" queue.
        const lag = partitionLag(partitionStats);
        if (partition === "-1" || lag === undefined || !this.owns(topic, Number(partition))) continue;
        this.#options.metrics.consumerLag.set({ topic, partition }, lag);
      }
    }
  }
}

function keyOf({ topic, partition }: TopicPartition): string {
  return `${topic}/${partition}`;
}

function describe(partitions: readonly TopicPartition[]): string {
  return partitions.map(({ topic, partition }) => `${topic}[${partition}]`).join(",");
}
