import { partitionKey, type RecordPosition } from "./positions.ts";

interface Stage<T> {
  readonly offsets: readonly RecordPosition[];
  readonly info: T;
  state: "processing" | "processed" | "failed";
}

/** A batch started in a BatchPipeline: pass it back to `finish`. */
export interface PipelinedBatch {
  readonly id: number;
}

/**
 * Batches between the start of their processing and their commit, in the order they started. Batch N+1 may be
 * processed while batch N's results are acknowledged and its offsets committed, but commits go out in order:
 * a batch is handed over for commit only once it and every batch before it were processed, and a failed batch
 * stops everything after it. `uncommitted` is what a crash could repeat; the worker keeps it under its bound.
 *
 * Pure bookkeeping, no I/O: the batch worker drives it.
 */
export class BatchPipeline<T> {
  readonly #stages = new Map<number, Stage<T>>();
  #nextId = 0;
  /** Id of the oldest batch not yet handed over for commit. */
  #oldest = 0;
  /** Batches handed over for a commit that has not been answered yet. */
  #committing = 0;

  /** Batches started and not committed: being processed, waiting for an older one, or in a commit. */
  get uncommitted(): number {
    return this.#stages.size + this.#committing;
  }

  start(offsets: readonly RecordPosition[], info: T): PipelinedBatch {
    const id = this.#nextId;
    this.#nextId += 1;
    this.#stages.set(id, { offsets, info, state: "processing" });
    return { id };
  }

  finish(batch: PipelinedBatch, ok: boolean): void {
    const stage = this.#stages.get(batch.id);
    if (stage !== undefined) stage.state = ok ? "processed" : "failed";
  }

  /**
   * Hands over the oldest batches that are processed, in order, for one commit: their offsets (a later batch's
   * offset of a partition replaces an earlier one's) and their infos. "failed" when the oldest batch failed:
   * neither it nor anything after it may be committed. undefined when the oldest is still being processed.
   */
  takeCommittable(): { offsets: RecordPosition[]; batches: T[] } | "failed" | undefined {
    const oldest = this.#stages.get(this.#oldest);
    if (oldest?.state === "failed") return "failed";
    const latest = new Map<string, RecordPosition>();
    const batches: T[] = [];
    for (let stage = oldest; stage?.state === "processed"; stage = this.#stages.get(this.#oldest)) {
      for (const offset of stage.offsets) latest.set(partitionKey(offset), offset);
      batches.push(stage.info);
      this.#stages.delete(this.#oldest);
      this.#oldest += 1;
    }
    if (batches.length === 0) return undefined;
    this.#committing += batches.length;
    return { offsets: [...latest.values()], batches };
  }

  /** The commit of `count` batches handed over by `takeCommittable` was answered (either way). */
  commitAnswered(count: number): void {
    this.#committing = Math.max(0, this.#committing - count);
  }
}
