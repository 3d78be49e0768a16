export interface RetryRules {
  /** Attempts after the first one. */
  readonly retries: number;
  /** Wait before the first retry; doubles after each failure. */
  readonly backoffMs: number;
  /** Upper bound of one wait. */
  readonly maxBackoffMs: number;
}

/**
 * The wait before retry number `attempt` (1-based): exponential and capped, with "equal jitter": half of the
 * step is kept, the other half drawn at random, so workers that failed together do not retry in lockstep while
 * each still waits at least half the step. `random` returns a number in [0, 1) (Math.random by default).
 */
export function backoffDelayMs(
  attempt: number,
  rules: RetryRules,
  random: () => number = Math.random,
): number {
  const step = Math.min(rules.maxBackoffMs, rules.backoffMs * 2 ** (attempt - 1));
  return step / 2 + (step / 2) * random();
}

/**
 * The longest the retries of one call can wait in all: every step at the top of its jitter range. Consumers do
 * not poll while they wait, so this must stay below the client's max.poll.interval.ms.
 */
export function longestRetryWaitMs(rules: RetryRules): number {
  let total = 0;
  for (let attempt = 1; attempt <= rules.retries; attempt += 1) {
    total += Math.min(rules.maxBackoffMs, rules.backoffMs * 2 ** (attempt - 1));
  }
  return total;
}
