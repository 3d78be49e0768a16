// SASL/OAUTHBEARER with the token from a function: the provider wired to the binding's refresh callback, its
// failures logged, counted and handed back to librdkafka (which asks again about 10 s later).
import { messageOf } from "./errors.ts";
import type { KafkaLogger, LabelledCounter } from "./instruments.ts";
import {
  toLibrdkafkaToken,
  type LibrdkafkaToken,
  type OAuthBearerTokenProvider,
} from "./oauthbearer-token.ts";

export interface OAuthBearerOptions {
  readonly provider: OAuthBearerTokenProvider;
  readonly logger: KafkaLogger;
  /** Tokens asked for, by `result`: "ok" or "failed". */
  readonly refreshes?: LabelledCounter<"result">;
}

/**
 * One service's token provider, shared by all its clients (each asks for its own token when it starts and before
 * that token expires). A failure is reported to librdkafka by the binding, which also emits it as the client's
 * 'error' event: every client built with these settings must listen (`errorListener`), or the process dies.
 */
export class OAuthBearerRefresh {
  readonly #options: OAuthBearerOptions;
  /** Failures already logged, so that the binding's 'error' event about them is not logged twice. */
  readonly #reported = new WeakSet<object>();
  #lastFailure: string | undefined;

  constructor(options: OAuthBearerOptions) {
    this.#options = options;
  }

  /** Why the last token could not be had, until one is: what a start that timed out meanwhile reports. */
  get lastFailure(): string | undefined {
    return this.#lastFailure;
  }

  /**
   * The librdkafka settings of a client that takes its token from the provider. `onToken` is told of each token
   * handed over; the binding gives it to librdkafka once the callback's promise settles, in a microtask.
   */
  settings(client: string, onToken?: () => void) {
    return {
      "sasl.mechanism": "OAUTHBEARER",
      // An async callback: the binding sets what it resolves to as the token, or reports what it rejects with.
      oauthbearer_token_refresh_cb: async () => {
        const token = await this.#refresh(client);
        onToken?.();
        return token;
      },
    } as const;
  }

  /** The 'error' listener of a client with these settings (see the class). */
  errorListener(client: string): (error: unknown) => void {
    return (error) => {
      if (typeof error === "object" && error !== null && this.#reported.has(error)) return;
      // librdkafka refused a token the provider gave (or a client closing could not take it).
      this.#failed(client, messageOf(error), error);
    };
  }

  async #refresh(client: string): Promise<LibrdkafkaToken> {
    const { provider, logger, refreshes } = this.#options;
    let token: LibrdkafkaToken;
    try {
      token = toLibrdkafkaToken(await provider(), Date.now());
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(messageOf(error));
      this.#failed(client, failure.message, failure);
      throw failure;
    }
    this.#lastFailure = undefined;
    refreshes?.inc({ result: "ok" });
    logger.debug({
      event: "kafka.oauthbearer_refreshed",
      client,
      principal: token.principal,
      expiresAt: new Date(token.lifetime).toISOString(),
    });
    return token;
  }

  #failed(client: string, reason: string, error: unknown): void {
    if (typeof error === "object" && error !== null) this.#reported.add(error);
    this.#lastFailure = reason;
    this.#options.refreshes?.inc({ result: "failed" });
    this.#options.logger.warn(
      { event: "kafka.oauthbearer_failed", client },
      `no OAUTHBEARER token: ${reason}; librdkafka asks again in about 10 s`,
    );
  }
}
