/**
 * Slices the server acknowledged, kept in memory until their stream is verified and finalized, so that a
 * difference the read-back finds can be sent again. Bounded by bytes across streams: the oldest acked go
 * first (late deliveries hit recent slices; a difference in a slice no longer held is reported by key).
 */
import type { StoredSlice } from "../outbox/outbox.js";
import { keyString } from "../types.js";

export class RetainedSlices {
  readonly #limit: number;
  /** keyString → slice, in the order acked (a Map iterates in insertion order). */
  readonly #slices = new Map<string, StoredSlice>();
  #bytes = 0;

  constructor(limitBytes: number) {
    this.#limit = limitBytes;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Hold the newest acked version of a key. */
  add(slice: StoredSlice): void {
    if (this.#limit <= 0) return;
    const k = keyString(slice);
    const old = this.#slices.get(k);
    if (old) {
      if (old.version > slice.version) return;
      this.#slices.delete(k);
      this.#bytes -= old.bytes;
    }
    this.#slices.set(k, slice);
    this.#bytes += slice.bytes;
    for (const [key, s] of this.#slices) {
      if (this.#bytes <= this.#limit) break;
      this.#slices.delete(key);
      this.#bytes -= s.bytes;
    }
  }

  /** A stream's held slices by channel and chunk index. */
  of(dataId: string): Map<string, Map<number, StoredSlice>> {
    const out = new Map<string, Map<number, StoredSlice>>();
    for (const s of this.#slices.values()) {
      if (s.dataId !== dataId) continue;
      let byChunk = out.get(s.channel);
      if (!byChunk) out.set(s.channel, (byChunk = new Map()));
      byChunk.set(s.chunkIndex, s);
    }
    return out;
  }

  /** Forget a stream (finalized). */
  drop(dataId: string): void {
    for (const [k, s] of this.#slices) {
      if (s.dataId !== dataId) continue;
      this.#slices.delete(k);
      this.#bytes -= s.bytes;
    }
  }
}
