/**
 * The one latency timer of the streams, held by ChunkStream's transformer (chunk-transformer.ts): once an
 * open chunk holds points not yet sent, fire after `maxLatencyMs` (ChunkStream enqueues the partial
 * slices, UploadStream puts them in the outbox).
 * 0 or Infinity: never (full slices only, and the rest on close).
 */
export class LatencyTimer {
  readonly live: boolean;
  readonly #ms: number;
  readonly #fire: () => void;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(maxLatencyMs: number | undefined, fire: () => void) {
    this.#ms = maxLatencyMs ?? 1000;
    this.live = this.#ms > 0 && Number.isFinite(this.#ms);
    this.#fire = fire;
  }

  /** After a write: start the timer when points wait (and it is not running), stop it when none do. */
  update(dirty: boolean): void {
    if (!dirty) return this.stop();
    if (!this.live || this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#fire();
    }, this.#ms);
  }

  stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
