export interface RetryRules {
  /** Attempts after the first one. */
  readonly retries: number;
  /** Wait before the first retry; doubles after each failure. */
  readonly backoffMs: number;
  /** Upper bound of one wait. */
  readonly maxBackoffMs: number;
}

/** The wait before retry number `attempt` (1-based): exponential, capped. */
export function backoffDelayMs(attempt: number, rules: RetryRules): number {
  return Math.min(rules.maxBackoffMs, rules.backoffMs * 2 ** (attempt - 1));
}
