import { parseMetricsText } from "./metrics-text.ts";
import { snapshotOf } from "./snapshot.ts";
import type { Watched } from "./view.ts";

/**
 * Scrapes a set of /metrics targets and keeps, per target, its latest snapshot and the one before (rates need
 * two) and when its group last rebalanced. Used by `make watch` and by the labs for the processes they start.
 */
export class Watcher {
  readonly #state = new Map<string, Watched>();
  readonly #timeoutMs: number;

  constructor(targets: readonly string[] = [], timeoutMs = 900) {
    this.#timeoutMs = timeoutMs;
    for (const target of targets) this.add(target);
  }

  add(target: string): void {
    if (this.#state.has(target)) return;
    this.#state.set(target, {
      target,
      current: undefined,
      previous: undefined,
      lastRebalanceAt: undefined,
      error: undefined,
    });
  }

  remove(target: string): void {
    this.#state.delete(target);
  }

  watched(): Watched[] {
    return [...this.#state.values()];
  }

  async scrapeAll(): Promise<void> {
    await Promise.all([...this.#state.keys()].map((target) => this.#scrape(target)));
  }

  async #scrape(target: string): Promise<void> {
    const watched = this.#state.get(target);
    if (watched === undefined) return;
    try {
      const response = await fetch(`${target}/metrics`, { signal: AbortSignal.timeout(this.#timeoutMs) });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const current = snapshotOf(parseMetricsText(await response.text()), Date.now());
      const previous = watched.current;
      const rebalanced = previous !== undefined && current.rebalances !== previous.rebalances;
      if (!this.#state.has(target)) return;
      this.#state.set(target, {
        target,
        current,
        previous,
        lastRebalanceAt: rebalanced ? current.at : watched.lastRebalanceAt,
        error: undefined,
      });
    } catch (error) {
      if (!this.#state.has(target)) return;
      const reason = error instanceof Error ? error.message : String(error);
      this.#state.set(target, {
        ...watched,
        current: undefined,
        previous: undefined,
        error: `unreachable (${reason})`,
      });
    }
  }
}
