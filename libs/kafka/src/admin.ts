import type { ClientIdentity } from "./client-config.ts";
import { baseClientConfig } from "./client-config.ts";
import { whileCoordinatorBusy } from "./coordinator-retry.ts";
import {
  KafkaAuthenticationError,
  KafkaUnreachableError,
  TopicMismatchError,
  authenticationWatch,
  isUnreachableCode,
} from "./errors.ts";
import {
  AdminClient,
  toError,
  ErrorCodes,
  type GroupDescription,
  type IAdminClient,
  type LibrdKafkaError,
  type TopicDescription,
} from "./rdkafka.ts";

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

/** Promise-shaped admin operations over librdkafka's AdminClient, each bounded by `timeoutMs`. */
export class FleetAdmin {
  readonly #client: IAdminClient;
  readonly #identity: ClientIdentity;
  readonly #timeoutMs: number;
  readonly #authentication = authenticationWatch();

  constructor(identity: ClientIdentity, timeoutMs = 15_000) {
    this.#identity = identity;
    this.#timeoutMs = timeoutMs;
    this.#client = AdminClient.create(baseClientConfig(identity, "admin"), {
      "event.error": this.#authentication.onError,
    });
  }

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
        await this.#call<void>((done) =>
          this.#client.createTopic(
            {
              topic: spec.topic,
              num_partitions: spec.partitions,
              replication_factor: spec.replicationFactor,
              config: { ...spec.config, "min.insync.replicas": String(spec.minInsyncReplicas) },
            },
            this.#timeoutMs,
            done,
          ),
        );
        return true;
      } catch (error) {
        // Someone else created it between our look and our create: check it like any existing topic.
        if ((error as LibrdKafkaError).code !== ErrorCodes.ERR_TOPIC_ALREADY_EXISTS) throw error;
      }
    }
    const found = existing ?? (await this.describeTopic(spec.topic));
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

  /** Partition count and replication factor of a topic, or undefined when it does not exist. */
  async describeTopic(topic: string): Promise<{ partitions: number; replicationFactor: number } | undefined> {
    const [description] = await this.#call<TopicDescription[]>((done) =>
      this.#client.describeTopics([topic], { timeout: this.#timeoutMs }, done),
    );
    // A missing topic comes back as a description carrying an error, not as a failed call.
    if (description === undefined || description.error?.code === ErrorCodes.ERR_UNKNOWN_TOPIC_OR_PART) {
      return undefined;
    }
    if (description.error) throw toError(description.error);
    return {
      partitions: description.partitions.length,
      replicationFactor: Math.min(...description.partitions.map((partition) => partition.replicas.length)),
    };
  }

  /** Every topic's name on the cluster, Kafka's internal ones (`__consumer_offsets`, ...) included. */
  async listTopics(): Promise<string[]> {
    return this.#call<string[]>((done) => this.#client.listTopics({ timeout: this.#timeoutMs }, done));
  }

  async deleteTopic(topic: string): Promise<void> {
    try {
      await this.#call<void>((done) => this.#client.deleteTopic(topic, this.#timeoutMs, done));
    } catch (error) {
      if ((error as LibrdKafkaError).code !== ErrorCodes.ERR_UNKNOWN_TOPIC_OR_PART) throw error;
    }
  }

  async describeGroup(groupId: string): Promise<GroupDescription | undefined> {
    const result = await this.#groupCall<{ groups: GroupDescription[] }>((done) =>
      this.#client.describeGroups([groupId], { timeout: this.#timeoutMs }, done),
    );
    return result.groups[0];
  }

  /** The group's committed offsets on `topic`, per partition. */
  async committedOffsets(groupId: string, topic: string, partitions: number): Promise<CommittedOffset[]> {
    const [result] = await this.#groupCall<
      Array<{ partitions: Array<{ partition: number; offset: number }> }>
    >((done) =>
      this.#client.listConsumerGroupOffsets(
        [
          {
            groupId,
            partitions: Array.from({ length: partitions }, (_, partition) => ({ topic, partition })),
          },
        ],
        { timeout: this.#timeoutMs },
        done,
      ),
    );
    return (result?.partitions ?? []).map(({ partition, offset }) => ({ partition, offset }));
  }

  async deleteGroup(groupId: string): Promise<void> {
    await this.#groupCall<unknown>((done) =>
      this.#client.deleteGroups([groupId], { timeout: this.#timeoutMs }, done),
    );
  }

  close(): void {
    this.#client.disconnect();
  }

  /** A request to a group's coordinator, repeated while the coordinator is loading or moving (a broker restarted). */
  #groupCall<T>(
    operation: (done: (error: LibrdKafkaError | null | undefined, result: T) => void) => void,
  ): Promise<T> {
    return whileCoordinatorBusy(() => this.#call(operation), this.#timeoutMs);
  }

  /** Runs a callback-style admin call; a timeout or transport failure becomes a KafkaUnreachableError. */
  #call<T>(
    operation: (done: (error: LibrdKafkaError | null | undefined, result: T) => void) => void,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      operation((error, result) => {
        if (!error) return resolve(result);
        reject(
          this.#authentication.failed()
            ? new KafkaAuthenticationError(this.#identity.bootstrapServers, error)
            : isUnreachableCode(error.code)
              ? new KafkaUnreachableError(this.#identity.bootstrapServers, this.#timeoutMs, error)
              : toError(error),
        );
      });
    });
  }
}
