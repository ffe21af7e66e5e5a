/**
 * Keys the uploader leaves alone until a time: in doubt after a request whose fate is unknown, claimed by
 * another uploader sharing the store, unreadable for now, or backing off after repeated failures. One
 * timer, set for the earliest end, tells the uploader to look again.
 */
export class Holds {
  readonly #until = new Map<string, number>();
  readonly #wake: () => void;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerAt = Infinity;

  constructor(wake: () => void) {
    this.#wake = wake;
  }

  /** Leave keys alone for `ms` (a longer hold already in place stays). */
  hold(keys: Iterable<string>, ms: number): void {
    const until = Date.now() + ms;
    for (const k of keys) this.#until.set(k, Math.max(this.#until.get(k) ?? 0, until));
    this.#arm(until);
  }

  /** True while the key is held; a hold that has ended is forgotten. */
  held(key: string, now = Date.now()): boolean {
    const until = this.#until.get(key);
    if (until === undefined) return false;
    if (until > now) return true;
    this.#until.delete(key);
    return false;
  }

  /** Keys held right now whose key string starts with `prefix`. */
  count(prefix: string): number {
    const now = Date.now();
    let n = 0;
    for (const [k, until] of this.#until) if (until > now && k.startsWith(prefix)) n++;
    return n;
  }

  close(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(until: number): void {
    if (until >= this.#timerAt) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timerAt = until;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#timerAt = Infinity;
      const now = Date.now();
      let next = Infinity;
      for (const [k, t] of this.#until) {
        if (t <= now) this.#until.delete(k);
        else next = Math.min(next, t);
      }
      if (next < Infinity) this.#arm(next);
      this.#wake();
    }, Math.max(0, until - Date.now()));
  }
}
