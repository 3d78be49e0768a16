/**
 * How long to wait before sending message number `sent` (0-based) so that, on average, `rate` messages go out per
 * second since `elapsedMs` = 0. Pacing against the start (not the last send) keeps the average exact even when
 * the event loop wakes late. rate 0 = no pacing.
 */
export function pacingDelayMs(sent: number, rate: number, elapsedMs: number): number {
  if (rate <= 0) return 0;
  return Math.max(0, (sent * 1000) / rate - elapsedMs);
}

/**
 * How many messages from number `sent` on are due by `elapsedMs` at `rate` per second (message n is due at
 * n × 1000 / rate ms): at least 1, the one the caller waited for (pacingDelayMs rounds waits under a millisecond
 * down to none). Infinity at rate 0.
 */
export function dueCount(sent: number, rate: number, elapsedMs: number): number {
  if (rate <= 0) return Infinity;
  return Math.max(1, Math.floor((elapsedMs * rate) / 1000) - sent + 1);
}
