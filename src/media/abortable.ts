/**
 * Rejects with the signal's reason as soon as it aborts, even if `work` has
 * not settled. undici ignores an abort while a request is still waiting for
 * its connection (DNS, TCP connect), so without this race a hanging resolver
 * would outlive the deadline. A result that arrives after the abort is handed
 * to `onLate` so its resources (a response body, a socket) can be released.
 */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal, onLate: (value: T) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        if (signal.aborted) onLate(value);
        else resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
