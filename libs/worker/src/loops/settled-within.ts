/**
 * Waits for `promise` to settle, or `ms` to pass, whichever comes first; true if it settled. The timer is cleared
 * when the promise wins. The loops ask this once per wait for a completion, many times a second: an abortable
 * `timers/promises` sleep would build an AbortError (a DOMException with its stack) each time it is cut short.
 */
export function settledWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    const settled = () => {
      clearTimeout(timer);
      resolve(true);
    };
    promise.then(settled, settled);
  });
}
