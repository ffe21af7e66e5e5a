/** A simulated instrument's output: cut into chunks as configured, and ended once. */
import { ReadableStreamBase } from "../../streams/web-streams.js";
import type { SimulatorOptions } from "./types.js";

/** mulberry32: a small seeded generator, the same sequence everywhere. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Output {
  readonly readable: ReadableStream<Uint8Array>;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #ended = false;
  #pending = new Uint8Array(0);
  #nextSize = 0;
  readonly #random: (() => number) | undefined;
  readonly #maxChunk: number;
  readonly #cut: ((bytes: Uint8Array) => Uint8Array[]) | undefined;

  constructor(chunking: SimulatorOptions["chunking"], onCancel: () => void) {
    this.#cut = typeof chunking === "function" ? chunking : undefined;
    this.#random = chunking && typeof chunking === "object" ? seeded(chunking.seed ?? 1) : undefined;
    this.#maxChunk = chunking && typeof chunking === "object" ? Math.max(1, chunking.maxChunk ?? 8) : 1;
    this.readable = new ReadableStreamBase<Uint8Array>({
      start: (c) => {
        this.#controller = c;
      },
      cancel: () => {
        this.#ended = true;
        onCancel();
      },
    });
  }

  /** Send bytes; with `hold`, a tail shorter than the next drawn chunk waits for more output. */
  send(bytes: Uint8Array, hold = false): void {
    if (this.#ended) return;
    if (this.#cut) {
      for (const piece of this.#cut(bytes)) if (piece.length > 0) this.#controller.enqueue(piece.slice());
      return;
    }
    if (!this.#random) {
      this.#controller.enqueue(bytes);
      return;
    }
    const all = new Uint8Array(this.#pending.length + bytes.length);
    all.set(this.#pending);
    all.set(bytes, this.#pending.length);
    let at = 0;
    for (;;) {
      if (this.#nextSize === 0) this.#nextSize = 1 + Math.floor(this.#random() * this.#maxChunk);
      if (all.length - at < this.#nextSize) break;
      this.#controller.enqueue(all.slice(at, at + this.#nextSize));
      at += this.#nextSize;
      this.#nextSize = 0;
    }
    this.#pending = all.slice(at);
    if (!hold && this.#pending.length > 0) {
      this.#controller.enqueue(this.#pending);
      this.#pending = new Uint8Array(0);
    }
  }

  end(): void {
    if (this.#ended) return;
    if (this.#pending.length > 0) this.#controller.enqueue(this.#pending);
    this.#ended = true;
    try {
      this.#controller.close();
    } catch {
      // already closed or cancelled
    }
  }
}
