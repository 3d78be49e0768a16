/**
 * What /healthz and /readyz report. A service marks itself ready once connected (and, for a consumer, once it is a
 * member of its group, with or without partitions: a replica beyond the partition count is a ready standby, and
 * how many partitions a member owns is a metric, not its readiness), and beats from its poll loop: a loop that
 * stops beating while it is expected to is "stalled". A stalled process answers 503 on /healthz so an
 * orchestrator restarts it, and on /readyz too, since it does no work.
 */
export class Health {
  #ready = false;
  #reason = "starting";
  #lastBeat = Date.now();
  #expectBeats = false;
  readonly stallAfterMs: number;
  readonly #now: () => number;

  constructor(options: { stallAfterMs: number; now?: () => number }) {
    this.stallAfterMs = options.stallAfterMs;
    this.#now = options.now ?? Date.now;
  }

  setReady(ready: boolean, reason: string): void {
    this.#ready = ready;
    this.#reason = reason;
  }

  /** Liveness is judged by beats only while the service says it should be beating (e.g. partitions assigned). */
  expectBeats(expect: boolean): void {
    if (expect && !this.#expectBeats) this.#lastBeat = this.#now();
    this.#expectBeats = expect;
  }

  beat(): void {
    this.#lastBeat = this.#now();
  }

  liveness(): { ok: boolean; detail: string } {
    if (!this.#expectBeats) return { ok: true, detail: "idle" };
    const silentMs = this.#now() - this.#lastBeat;
    return silentMs > this.stallAfterMs
      ? { ok: false, detail: `poll loop stalled for ${silentMs} ms` }
      : { ok: true, detail: "polling" };
  }

  readiness(): { ok: boolean; detail: string } {
    if (!this.#ready) return { ok: false, detail: this.#reason };
    const live = this.liveness();
    return live.ok ? { ok: true, detail: this.#reason } : live;
  }
}
