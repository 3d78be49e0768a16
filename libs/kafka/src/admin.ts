import { setTimeout as sleep } from "node:timers/promises";

import type { ClientIdentity } from "./client-config.ts";
import { baseClientConfig } from "./client-config.ts";
import {
  KafkaUnreachableError,
  authenticationFailure,
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

  /**
   * Settled once the client holds its first OAUTHBEARER token (at once without a token provider). The binding runs
   * an admin request holding a lock that handing over a token waits for, on the main thread: a request made
   * before the first token would stall every JavaScript callback until it timed out, for want of that token.
   */
  readonly #firstToken: Promise<void>;

  constructor(identity: ClientIdentity, timeoutMs = 15_000) {
    this.#identity = identity;
    this.timeoutMs = timeoutMs;
    let tokenSet = () => {};
    this.#firstToken =
      identity.oauthBearer === undefined ? Promise.resolve() : new Promise((resolve) => (tokenSet = resolve));
    this.client = AdminClient.create(
      {
        ...baseClientConfig(identity, "admin"),
        ...identity.oauthBearer?.settings("admin", () => tokenSet()),
      },
      {
        "event.error": this.#authentication.onError,
        // A token provider's failures come out as 'error' events (OAuthBearerRefresh).
        ...(identity.oauthBearer === undefined ? {} : { error: identity.oauthBearer.errorListener("admin") }),
      },
    );
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

  /** Waits (within the timeout) for the first token when there is a token provider: see #firstToken. */
  async #untilFirstToken(): Promise<void> {
    const { bootstrapServers, oauthBearer } = this.#identity;
    if (oauthBearer === undefined) return;
    const waiting = new AbortController();
    const held = await Promise.race([
      this.#firstToken.then(() => true),
      sleep(this.timeoutMs, false, { signal: waiting.signal }).catch(() => false),
    ]);
    waiting.abort();
    if (!held) {
      const timedOut = new Error(`no OAUTHBEARER token within ${this.timeoutMs} ms`);
      throw (
        authenticationFailure(bootstrapServers, timedOut, this.#authentication, oauthBearer) ??
        new KafkaUnreachableError(bootstrapServers, this.timeoutMs, timedOut)
      );
    }
    // The binding hands the token to librdkafka in a microtask after the refresh callback settles: after this.
    await new Promise((resolve) => setImmediate(resolve));
  }

  /** Every topic's name on the cluster, Kafka's internal ones (`__consumer_offsets`, ...) included. */
  async listTopics(): Promise<string[]> {
    return this.call<string[]>((done) => this.client.listTopics({ timeout: this.timeoutMs }, done));
  }

  close(): void {
    this.client.disconnect();
  }

  /** Runs a callback-style admin call; a timeout or transport failure becomes a KafkaUnreachableError. */
  protected async call<T>(
    operation: (done: (error: LibrdKafkaError | null | undefined, result: T) => void) => void,
  ): Promise<T> {
    await this.#untilFirstToken();
    return new Promise<T>((resolve, reject) => {
      operation((error, result) => {
        if (!error) return resolve(result);
        const { bootstrapServers, oauthBearer } = this.#identity;
        reject(
          authenticationFailure(bootstrapServers, error, this.#authentication, oauthBearer) ??
            (isUnreachableCode(error.code)
              ? new KafkaUnreachableError(bootstrapServers, this.timeoutMs, error)
              : toError(error)),
        );
      });
    });
  }
}
