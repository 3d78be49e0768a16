import type { TopicPartition } from "@kafka-fleet/kafka";

export type RevokeHook = (partitions: readonly TopicPartition[], lost: boolean) => Promise<void>;

/**
 * The consumer's revocation hook, created before the loop that answers it: the consumer needs the hook when it
 * connects, and the loop needs the connected consumer (and the processor, whose producer connects first). The
 * loop is bound once it exists; a revocation before that finds nothing in hand, so there is nothing to hand over.
 */
export class RevocationRelay {
  #loop: RevokeHook | undefined;

  readonly onRevoke: RevokeHook = (partitions, lost) => this.#loop?.(partitions, lost) ?? Promise.resolve();

  bind(loop: { readonly onRevoke: RevokeHook }): void {
    this.#loop = loop.onRevoke;
  }
}
