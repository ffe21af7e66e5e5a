/**
 * Waiting for a condition on the streamer's state (drained, finalized …): each waiter re-checks its
 * condition whenever something settles (an ack, a state change, a drop), with an optional abort signal
 * and timeout. A closed streamer rejects every waiter still waiting.
 */
export class Waiters {
  readonly #waiters = new Set<() => void>();
  readonly #closed: () => boolean;

  constructor(closed: () => boolean) {
    this.#closed = closed;
  }

  /** Something changed: every waiter checks its condition again. */
  settled(): void {
    for (const w of [...this.#waiters]) w();
  }

  /** Wait until `ready()` holds; false on timeout. Rejects on abort or when the streamer closes. */
  until(ready: () => boolean, signal?: AbortSignal, timeoutMs?: number): Promise<boolean> {
    if (ready()) return Promise.resolve(true);
    return new Promise<boolean>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const finish = (fn: () => void) => {
        this.#waiters.delete(check);
        if (timer) clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        fn();
      };
      const check = () => {
        if (ready()) finish(() => resolve(true));
        else if (this.#closed()) finish(() => reject(new Error("The TimeseriesStreamer was closed while waiting.")));
      };
      const onAbort = () => finish(() => reject(signal!.reason ?? new DOMException("Aborted", "AbortError")));
      if (signal?.aborted) return onAbort();
      signal?.addEventListener("abort", onAbort);
      if (timeoutMs !== undefined) timer = setTimeout(() => finish(() => resolve(false)), timeoutMs);
      this.#waiters.add(check);
    });
  }
}
