import { performance } from "node:perf_hooks";
import { setImmediate as yieldToEventLoop, setTimeout as sleep } from "node:timers/promises";

import type { DeliveryProducer, FailureCallback } from "@kafka-fleet/kafka";
import { INT64_BYTES, Int64RunWriter, Int64Writer } from "@kafka-fleet/serde";
import type { Logger } from "@kafka-fleet/service";
import { endSpan, headersFor, startSendSpan, tracingEnabled, type HeaderList } from "@kafka-fleet/tracing";

import { dueCount, pacingDelayMs } from "./pacing.ts";
import type { ProducerMetrics } from "./metrics.ts";
import type { PartitionRuns } from "./partition-runs.ts";
import type { ProgressSnapshot } from "./progress.ts";

/** Log the first few delivery failures in full; after that the counter speaks for them. */
const FAILURES_LOGGED = 10;
/** Let delivery reports and /metrics scrapes in every so many sends. */
const YIELD_EVERY = 1000;

export interface RangeResult {
  readonly sent: number;
  readonly acknowledged: number;
  readonly failed: number;
  /** The first value not sent. */
  readonly next: bigint;
  /** The first value not known acknowledged: where a run that failed or stopped resumes (PRODUCE_FROM). */
  readonly resumeFrom: bigint;
  readonly elapsedMs: number;
}

/**
 * Sends the values [from, to) (forever when `to` is undefined) until done or stopped, paced to `rate` per
 * second when rate > 0, waiting for room whenever librdkafka's queue is full, each value to the partition
 * `placement` gives it. Counts come from the client only: failures as reported, acknowledgements as its
 * statistics report them and, at the end, as a drained queue with no failure proves them. Every progress
 * snapshot says where a run killed then could resume without losing a value (`resumeFrom`: every value below it
 * is acknowledged), read from each partition's acknowledged count in those statistics through the placement.
 * Returns once everything sent is decided or `flushTimeoutMs(stopped)` ran out.
 */
export async function produceRange(options: {
  producer: DeliveryProducer;
  topic: string;
  from: bigint;
  to: bigint | undefined;
  rate: number;
  /** Which partition each value goes to: what lets the statistics say which values are acknowledged. */
  placement: PartitionRuns;
  signal: AbortSignal;
  logger: Logger;
  metrics: ProducerMetrics;
  flushTimeoutMs: (stopped: boolean) => number;
  onProgress: (snapshot: ProgressSnapshot) => void;
  /**
   * onProgress is also called this often by a timer: while the cluster takes nothing (brokers down, the queue full)
   * or the last sends are flushed, no send happens to report progress, and an operator must still see it stall.
   */
  progressIntervalMs: number;
}): Promise<RangeResult> {
  const { producer, topic, to, rate, placement, signal, logger, metrics } = options;
  const onFailure: FailureCallback = (error) => {
    metrics.deliveryFailures.inc({ code: String(error.kafkaCode) });
    if (producer.failed <= FAILURES_LOGGED) {
      logger.error(
        { event: "producer.delivery_failed", err: error, code: error.code, kafkaCode: error.kafkaCode },
        error.message,
      );
    }
  };
  producer.onFailure(onFailure);
  // messages_produced_total follows what the client reports acknowledged, however it learns it.
  let counted = 0;
  const countAcknowledged = (): number => {
    const acknowledged = producer.acknowledged;
    if (acknowledged > counted) metrics.messagesProduced.inc(acknowledged - counted);
    counted = Math.max(counted, acknowledged);
    return acknowledged;
  };

  // The ledger numbers messages as they were queued, and this run queues nothing else: number n is value from + n.
  const resumeFrom = (): bigint =>
    options.from +
    BigInt(producer.acknowledgedPrefix(placement.acknowledgedPrefix(producer.acknowledgedIds(topic), sent)));

  const started = performance.now();
  const snapshot = (): ProgressSnapshot => ({
    sent,
    acknowledged: countAcknowledged(),
    resumeFrom: resumeFrom(),
    failed: producer.failed,
    total: to === undefined ? undefined : Number(to - options.from),
    elapsedMs: performance.now() - started,
  });
  // produce() and produceRun() copy the bytes they are given, so one buffer serves every value, one every run.
  const bytes = new Int64Writer();
  const runs = new Int64RunWriter(YIELD_EVERY);
  let value = options.from;
  let sent = 0;
  const ticker = setInterval(() => options.onProgress(snapshot()), options.progressIntervalMs);
  // With tracing on: one "send" span per run of YIELD_EVERY values, its context in each of their headers. A span
  // per value would cost more than its send (docs/benchmarks/tracing.md); a consumer's batch links to every
  // distinct context it holds, so a run in one context keeps that list short too.
  const traced = tracingEnabled();
  let run: { span: ReturnType<typeof startSendSpan>; headers: HeaderList } | undefined;
  const endRun = () => {
    if (run !== undefined) endSpan(run.span);
    run = undefined;
  };
  try {
    return await sendAndFlush();
  } finally {
    endRun();
    clearInterval(ticker);
  }

  /**
   * The next values due, all to the partition of the first, in one call into the client: up to the end of that
   * partition's run, of the range, of the values due at `rate`, and of this YIELD_EVERY. Returns how many were
   * queued (0: the queue is full).
   */
  function sendRun(): number {
    let count = Math.min(
      placement.runLength - (sent % placement.runLength),
      YIELD_EVERY - (sent % YIELD_EVERY),
      dueCount(sent, rate, performance.now() - started),
    );
    if (to !== undefined && to - value < BigInt(count)) count = Number(to - value);
    return producer.tryProduceRun({
      topic,
      partition: placement.partitionOf(sent),
      values: runs.write(value, count),
      valueSize: INT64_BYTES,
      count,
    });
  }

  /** With tracing on: one value, its run's trace context in its headers. Returns how many were queued (0 or 1). */
  function sendTraced(): number {
    if (run === undefined) {
      const span = startSendSpan(topic, { count: YIELD_EVERY });
      run = { span, headers: headersFor(span, undefined) };
    }
    const queued = producer.tryProduce({
      topic,
      value: bytes.write(value),
      partition: placement.partitionOf(sent),
      headers: run.headers,
    });
    return queued ? 1 : 0;
  }

  async function sendAndFlush(): Promise<RangeResult> {
    while ((to === undefined || value < to) && !signal.aborted) {
      if (rate > 0) {
        const delayMs = pacingDelayMs(sent, rate, performance.now() - started);
        if (delayMs >= 1) await sleep(delayMs, undefined, { signal }).catch(() => undefined);
        if (signal.aborted) break;
      }
      const queued = traced ? sendTraced() : sendRun();
      if (queued === 0) {
        // Backpressure: librdkafka's queue is full; wait for it to drain enough to make room.
        await producer.waitForRoom();
        continue;
      }
      value += BigInt(queued);
      sent += queued;
      if (sent % YIELD_EVERY === 0) {
        endRun();
        await yieldToEventLoop();
        options.onProgress(snapshot());
      }
    }

    const stopped = signal.aborted;
    const left = await producer.flush(options.flushTimeoutMs(stopped));
    if (left > 0) logger.error({ event: "producer.flush_incomplete", undelivered: left });
    const final = snapshot();
    options.onProgress(final);
    return {
      sent,
      acknowledged: final.acknowledged,
      failed: final.failed,
      next: value,
      resumeFrom: final.resumeFrom,
      elapsedMs: performance.now() - started,
    };
  }
}
