// The fleet's tuned constants, one place for all: each with why it has its value and the benchmark that chose it.
// The figures live in the benchmark reports (docs/benchmarks.md, docs/benchmarks/*.md), which `make bench`
// regenerates; change a value here only with a run that says so. Imported as @kafka-fleet/kafka/tunables.

// ---- producers ------------------------------------------------------------------------------------------------

/** librdkafka's own linger.ms, kept for unpaced producers whose requests fill up anyway (not benchmarked here). */
export const DEFAULT_LINGER_MS = 5;
/** A paced producer (PRODUCE_RATE) gathers a request's worth instead of one per record (docs/benchmarks.md, End-to-end latency). */
export const PACED_LINGER_MS = 20;
/**
 * Workers whose records do not wait for each other's results share requests (docs/benchmarks.md, Findings:
 * "Between the morning run and this one"). The single consumer at ORDERING=key too: its keys run concurrently
 * and keyless records each on their own, and a keyless 10,000 msg/s stream measured e2e p99 1.1–13 s at 20 ms
 * against 22–44 s at 5 and 55–60 s at 0 (each result a request of its own), alternated in one run.
 */
export const SHARED_OUTPUT_LINGER_MS = 20;
/** ORDERING=partition: each partition waits for its record's acknowledgement, so lingering would delay each in turn. */
export const ORDERED_OUTPUT_LINGER_MS = 0;
/**
 * The range producer places its values itself, this many in a row per partition when unpaced (paced: a linger's
 * worth), so that its progress can say which values are acknowledged (services/producer/src/partition-runs.ts).
 * Measured unpaced, 1M values, 4 alternating rounds against librdkafka's sticky partitioner in the same run: 2,048
 * was 0.58–0.68× its rate (smaller requests); 16,384 was 1.14–1.63× with the same CPU per message.
 */
export const PRODUCER_RUN_LENGTH = 16_384;
/** A sender that found librdkafka's queue full waits this long inside its flush before trying again (not benchmarked). */
export const ROOM_WAIT_MS = 5;
/** One drain flush, started again if it times out: longer wakes fewer broker threads (a one-off CPU measurement, not in the reports). */
export const DRAIN_STEP_MS = 1000;
/** Drains at once: each holds one of libuv's 4 worker threads, which consume() and commits need too (a bound, not a measurement). */
export const MAX_DRAINS = 2;

// ---- consumers ------------------------------------------------------------------------------------------------

/**
 * librdkafka's fetch.queue.backoff.ms (1,000 by default): how long it waits before fetching a partition again once
 * the records it holds fetched ahead reach queued.min.messages (100,000; with a group's consumer, counted over its
 * whole queue). A consumer draining a backlog takes those in a fraction of a second and then waited the rest of
 * it: 1M records of 8 B, a bare consume(500) loop went from 230–390k msg/s to 890–950k at 10 ms with the same CPU
 * and memory, and the batch consumer (BATCH_SIZE 500) from 0.53–0.60× KafkaJS's rate to 1.65–1.67× in `make bench`
 * (docs/benchmarks.md, Findings, runs of 2026-12-07).
 * A consumer that keeps up never holds that many, so this changes nothing for it. 0 makes the broker threads spin.
 */
export const FETCH_QUEUE_BACKOFF_MS = 10;

// ---- the batch worker -----------------------------------------------------------------------------------------

/**
 * BATCH_MAX_UNCOMMITTED's default: batches under way per worker. A worker's rate is at most the records it has
 * under way over the time a batch spends under way (its results' 20 ms linger and acknowledgement, then its
 * commit): 32 batches of 10 held it to 3,800–8,500 msg/s, 100 let it past 10,000 (docs/benchmarks.md, Findings).
 */
export const DEFAULT_MAX_UNCOMMITTED = 100;
/** How long one poll may block while no batch is open: bounds how late a stop request is noticed (a bound, not a measurement). */
export const IDLE_POLL_MS = 200;
/** Records per batch whose end-to-end latency is observed, evenly spaced: a histogram needs no more (not benchmarked). */
export const LATENCY_SAMPLES = 16;
/**
 * While batches are handed over, one consume() asks for this many batches' worth of records, up to PREFETCH_RECORDS
 * (docs/benchmarks.md, "Where the consume path's time goes"): each consume() is a hop to a libuv worker thread and
 * back, and fewer, larger ones hand more records over per wake-up.
 */
export const PREFETCH_BATCHES = 4;
/** The most records one such consume() asks for, so that a large BATCH_SIZE is not multiplied (a bound). */
export const PREFETCH_RECORDS = 2_000;
/**
 * How long a batch's hand-over may wait (the pipeline full, a transaction under way) before the loop polls with its
 * partitions paused, so that the member is not put out of its group (max.poll.interval.ms, 300 s by default) and
 * rebalances are served: well below any interval, above the usual wait for a commit (a bound, not a measurement).
 */
export const KEEPALIVE_AFTER_MS = 1000;
/** How long each of those polls may block; also how late the hand-over's end is noticed (a bound). */
export const KEEPALIVE_POLL_MS = 100;
/** Pause before a refused commit is retried when no newer batch carries it: spaces out quick refusals (exercised by docs/reliability.md, not tuned). */
export const COMMIT_RETRY_MS = 500;

// ---- the single worker ----------------------------------------------------------------------------------------

/** How long one poll may block: bounds how late a stop request is noticed (a bound, not a measurement). */
export const SINGLE_POLL_MS = 200;
/** Records asked for per poll: small requests keep latency low (docs/benchmarks.md, End-to-end latency). */
export const SINGLE_FETCH_MAX = 64;
