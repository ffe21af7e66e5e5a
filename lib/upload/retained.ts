/**
 * Slices the server acknowledged, kept in memory until their stream is verified and finalized, so that a
 * difference the read-back finds can be sent again. Bounded by bytes across streams: the oldest acked go
 * first (late deliveries hit recent slices; a difference in a slice no longer held is reported by key).
 *
 * The slices are held as they are (their own arrays, no copy). Copying the points into segments of
 * Float64Arrays was measured too (issue 17): it saved young-generation copying but allocated up to the
 * limit in ArrayBuffers again for every streamer, whose external-memory pressure brought full garbage
 * collections — more CPU, not less, once the limit was reached.
 */
import type { StoredSlice } from "../outbox/outbox.js";
import { keyString } from "../types.js";

export class RetainedSlices {
  readonly #limit: number;
  /** keyString → slice. */
  readonly #slices = new Map<string, StoredSlice>();
  /**
   * Keys in the order acked, oldest at `#head` (entries whose slice was replaced or dropped since are
   * skipped when reached). Not the Map's own order: iterating a Map from its start walks over every entry
   * deleted since its last rehash, so evicting the oldest one by one cost O(held) each.
   */
  #orderKeys: string[] = [];
  /** The slice each of `#orderKeys` was acked with (two arrays: no pair allocated per slice). */
  #orderSlices: StoredSlice[] = [];
  #head = 0;
  #bytes = 0;

  constructor(limitBytes: number) {
    this.#limit = limitBytes;
  }

  /** Bytes of the slices held (the outbox's estimate of each): what the limit bounds. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Memory holding points, as the limit counts it (the same as `bytes`). */
  get footprintBytes(): number {
    return this.#bytes;
  }

  /** Hold the newest acked version of a key (`k`: its keyString, when the caller has it). */
  add(slice: StoredSlice, k: string = keyString(slice)): void {
    if (this.#limit <= 0) return;
    const old = this.#slices.get(k);
    if (old) {
      if (old.version > slice.version) return;
      this.#remove(k, old);
    }
    if (slice.bytes > this.#limit) return; // larger than everything that may be held
    this.#slices.set(k, slice);
    const keys = this.#orderKeys;
    const held = this.#orderSlices;
    keys.push(k);
    held.push(slice);
    this.#bytes += slice.bytes;
    // The oldest acked go first, until what is held fits.
    while (this.#bytes > this.#limit && this.#head < keys.length) {
      const key = keys[this.#head]!;
      const s = held[this.#head]!;
      this.#head++;
      if (this.#slices.get(key) === s) this.#remove(key, s);
    }
    // Squeeze out what was passed or replaced once it outnumbers what is held (amortised O(1) a slice).
    if (keys.length > 2 * this.#slices.size + 1024) {
      const nextKeys: string[] = [];
      const nextSlices: StoredSlice[] = [];
      for (let i = this.#head; i < keys.length; i++) {
        if (this.#slices.get(keys[i]!) !== held[i]) continue;
        nextKeys.push(keys[i]!);
        nextSlices.push(held[i]!);
      }
      this.#orderKeys = nextKeys;
      this.#orderSlices = nextSlices;
      this.#head = 0;
    }
  }

  #remove(key: string, s: StoredSlice): void {
    this.#slices.delete(key);
    this.#bytes -= s.bytes;
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
    for (const [k, s] of this.#slices) if (s.dataId === dataId) this.#remove(k, s);
    if (this.#slices.size === 0) {
      this.#orderKeys = [];
      this.#orderSlices = [];
      this.#head = 0;
    }
  }
}
