// The cluster administration that tests, benchmarks and labs need and the services do not: creating, listing and
// deleting topics, reading a group's members and committed offsets, deleting groups. The services only look a
// topic up (libs/kafka's FleetAdmin.describeTopic).
import { setTimeout as sleep } from "node:timers/promises";

import type { GroupDescription, LibrdKafkaError } from "@confluentinc/kafka-javascript";

import { ErrorCodes, FleetAdmin, type ClientIdentity } from "@kafka-fleet/kafka";

export interface TopicSpec {
  readonly topic: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly minInsyncReplicas: number;
  /** Further topic configs, e.g. max.message.bytes. */
  readonly config?: Readonly<Record<string, string>>;
}

/** The topic layout of the contract (docs/design.md, Topics): 6 partitions, RF 3, min.insync.replicas 2. */
export function defaultTopicSpec(topic: string, partitions = 6): TopicSpec {
  return { topic, partitions, replicationFactor: 3, minInsyncReplicas: 2 };
}

export interface CommittedOffset {
  readonly partition: number;
  /** The next offset the group will read; -1001 (librdkafka's "invalid") when nothing is committed. */
  readonly offset: number;
}

/** A topic exists with settings other than the ones asked for; using it silently would weaken guarantees. */
export class TopicMismatchError extends Error {
  readonly code = "TOPIC_MISMATCH";
  readonly canRetry = false;
  readonly topic: string;

  constructor(topic: string, problems: readonly string[]) {
    super(`topic ${topic} exists with other settings: ${problems.join("; ")}`);
    this.name = new.target.name;
    this.topic = topic;
  }
}

/**
 * A consumer group's coordinator still loading the group's offsets, or moving to another broker: what a group
 * request meets for a few seconds after a broker restarts. Kafka's own AdminClient retries these.
 */
const COORDINATOR_BUSY: readonly number[] = [
  ErrorCodes.ERR_COORDINATOR_LOAD_IN_PROGRESS,
  ErrorCodes.ERR_COORDINATOR_NOT_AVAILABLE,
  ErrorCodes.ERR_NOT_COORDINATOR,
];

export function isCoordinatorBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "number" && COORDINATOR_BUSY.includes(code);
}

/** Runs a group request again while its coordinator is busy, for up to `timeoutMs`; other failures at once. */
export async function whileCoordinatorBusy<T>(
  request: () => Promise<T>,
  timeoutMs: number,
  pauseMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await request();
    } catch (error) {
      if (!isCoordinatorBusy(error) || Date.now() + pauseMs > deadline) throw error;
      await sleep(pauseMs);
    }
  }
}

/** Between two looks at a topic a broker does not know yet. */
const TOPIC_LOOKUP_PAUSE_MS = 100;

/**
 * libs/kafka's FleetAdmin (the look at a topic the services make) with the operations of tests, benchmarks and
 * labs: topics created, checked, listed and deleted; groups described, their offsets read, deleted.
 */
export class ClusterAdmin extends FleetAdmin {
  /**
   * Creates the topic when it is missing; when it exists, checks its partitions and replication factor and
   * throws a TopicMismatchError naming each difference. Returns whether it created the topic.
   *
   * min.insync.replicas is set on creation but cannot be read back here: this client has no DescribeConfigs.
   * The local cluster's default is 2 as well, and deploy/local/cluster.sh checks it with Kafka's own tool.
   */
  async ensureTopic(spec: TopicSpec): Promise<boolean> {
    const existing = await this.describeTopic(spec.topic);
    if (existing === undefined) {
      try {
        await this.call<void>((done) =>
          this.client.createTopic(
            {
              topic: spec.topic,
              num_partitions: spec.partitions,
              replication_factor: spec.replicationFactor,
              config: { ...spec.config, "min.insync.replicas": String(spec.minInsyncReplicas) },
            },
            this.timeoutMs,
            done,
          ),
        );
        return true;
      } catch (error) {
        // Someone else created it between our look and our create: check it like any existing topic.
        if ((error as LibrdKafkaError).code !== ErrorCodes.ERR_TOPIC_ALREADY_EXISTS) throw error;
      }
    }
    const found = existing ?? (await this.#describeOnceKnown(spec.topic));
    const problems: string[] = [];
    if (found === undefined) throw new TopicMismatchError(spec.topic, ["it vanished while being checked"]);
    if (found.partitions !== spec.partitions) {
      problems.push(`${found.partitions} partitions, expected ${spec.partitions}`);
    }
    if (found.replicationFactor !== spec.replicationFactor) {
      problems.push(`replication factor ${found.replicationFactor}, expected ${spec.replicationFactor}`);
    }
    if (problems.length > 0) throw new TopicMismatchError(spec.topic, problems);
    return false;
  }

  /**
   * A topic the cluster says exists (its create was refused as TOPIC_ALREADY_EXISTS) may still be unknown to the
   * broker asked to describe it, whose metadata lags the controller's for a moment (after a restart, longer):
   * asked again until it is known or the timeout has passed.
   */
  async #describeOnceKnown(topic: string): Promise<Awaited<ReturnType<FleetAdmin["describeTopic"]>>> {
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      const found = await this.describeTopic(topic);
      if (found !== undefined || Date.now() + TOPIC_LOOKUP_PAUSE_MS > deadline) return found;
      await sleep(TOPIC_LOOKUP_PAUSE_MS);
    }
  }

  async deleteTopic(topic: string): Promise<void> {
    try {
      await this.call<void>((done) => this.client.deleteTopic(topic, this.timeoutMs, done));
    } catch (error) {
      if ((error as LibrdKafkaError).code !== ErrorCodes.ERR_UNKNOWN_TOPIC_OR_PART) throw error;
    }
  }

  async describeGroup(groupId: string): Promise<GroupDescription | undefined> {
    const result = await this.#groupCall<{ groups: GroupDescription[] }>((done) =>
      this.client.describeGroups([groupId], { timeout: this.timeoutMs }, done),
    );
    return result.groups[0];
  }

  /** The group's committed offsets on `topic`, per partition. */
  async committedOffsets(groupId: string, topic: string, partitions: number): Promise<CommittedOffset[]> {
    const [result] = await this.#groupCall<
      Array<{ partitions: Array<{ partition: number; offset: number }> }>
    >((done) =>
      this.client.listConsumerGroupOffsets(
        [
          {
            groupId,
            partitions: Array.from({ length: partitions }, (_, partition) => ({ topic, partition })),
          },
        ],
        { timeout: this.timeoutMs },
        done,
      ),
    );
    return (result?.partitions ?? []).map(({ partition, offset }) => ({ partition, offset }));
  }

  async deleteGroup(groupId: string): Promise<void> {
    await this.#groupCall<unknown>((done) =>
      this.client.deleteGroups([groupId], { timeout: this.timeoutMs }, done),
    );
  }

  /** A request to a group's coordinator, repeated while the coordinator is loading or moving (a broker restarted). */
  #groupCall<T>(
    operation: (done: (error: LibrdKafkaError | null | undefined, result: T) => void) => void,
  ): Promise<T> {
    return whileCoordinatorBusy(() => this.call(operation), this.timeoutMs);
  }
}

/** Runs `use` with an admin client of its own, closed afterwards whatever happens. */
export async function withAdmin<T>(
  identity: ClientIdentity,
  use: (admin: ClusterAdmin) => Promise<T>,
): Promise<T> {
  const admin = new ClusterAdmin(identity);
  try {
    return await use(admin);
  } finally {
    admin.close();
  }
}
