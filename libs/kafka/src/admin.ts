import type { ClientIdentity } from "./client-config.ts";
import { baseClientConfig } from "./client-config.ts";
import {
  KafkaAuthenticationError,
  KafkaUnreachableError,
  authenticationWatch,
  isUnreachableCode,
} from "./errors.ts";
import {
  AdminClient,
  toError,
  ErrorCodes,
  type IAdminClient,
  type LibrdKafkaError,
  type TopicDescription,
} from "./rdkafka.ts";

/**
 * The admin operations the services need, over librdkafka's AdminClient and bounded by `timeoutMs`: a look at a
 * topic (requireTopic), the topics' names (what a worker's pattern matches at start). Creating and deleting topics and groups is the test harness's, which extends this class
 * through its protected members (harness/admin.ts).
 */
export class FleetAdmin {
  protected readonly client: IAdminClient;
  protected readonly timeoutMs: number;
  readonly #identity: ClientIdentity;
  readonly #authentication = authenticationWatch();

  constructor(identity: ClientIdentity, timeoutMs = 15_000) {
    this.#identity = identity;
    this.timeoutMs = timeoutMs;
    this.client = AdminClient.create(baseClientConfig(identity, "admin"), {
      "event.error": this.#authentication.onError,
    });
  }

  /** Partition count and replication factor of a topic, or undefined when it does not exist. */
  async describeTopic(topic: string): Promise<{ partitions: number; replicationFactor: number } | undefined> {
    const [description] = await this.call<TopicDescription[]>((done) =>
      this.client.describeTopics([topic], { timeout: this.timeoutMs }, done),
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
    return this.call<string[]>((done) => this.client.listTopics({ timeout: this.timeoutMs }, done));
  }

  close(): void {
    this.client.disconnect();
  }

  /** Runs a callback-style admin call; a timeout or transport failure becomes a KafkaUnreachableError. */
  protected call<T>(
    operation: (done: (error: LibrdKafkaError | null | undefined, result: T) => void) => void,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      operation((error, result) => {
        if (!error) return resolve(result);
        reject(
          this.#authentication.failed()
            ? new KafkaAuthenticationError(this.#identity.bootstrapServers, error)
            : isUnreachableCode(error.code)
              ? new KafkaUnreachableError(this.#identity.bootstrapServers, this.timeoutMs, error)
              : toError(error),
        );
      });
    });
  }
}
