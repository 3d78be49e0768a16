/** Runs async steps one after another, in the order they were asked for. */
export class Serial {
  #tail: Promise<unknown> = Promise.resolve();

  run(work: () => Promise<void>): Promise<void> {
    const next = this.#tail.then(work);
    // The chain must survive a failed step; the failure itself goes to this step's caller.
    this.#tail = next.catch(() => undefined);
    return next;
  }
}
