/**
 * Slices the server acknowledged, kept in memory until their stream is verified and finalized, so that a
 * difference the read-back finds can be sent again. Bounded by bytes across streams: the oldest acked go
 * first (late deliveries hit recent slices; a difference in a slice no longer held is reported by key).
 *
 * The points are copied into segments — a few pairs of large Float64Arrays filled one after the other —
 * not kept as the slices' own arrays: holding every acked slice's arrays (up to the limit) made each of
 * them outlive the young generation, so the garbage collector copied and later swept all the data sent
 * (about a sixth of the upload path's CPU). A segment is reused once every slice in it has gone. The
 * limit counts the segments (what is really held), so space left by replaced versions counts until its
 * segment empties.
 */
import type { StoredSlice } from "../outbox/outbox.js";
import { keyString } from "../types.js";

/**
 * Points per segment (at most): 2 × 32 KiB, below the size at which malloc maps fresh pages from the
 * system (128 KiB in glibc), so that segments freed with an earlier streamer are reused without page faults.
 */
const SEGMENT_POINTS = 4096;

interface Segment {
  readonly timestamps: Float64Array;
  readonly values: Float64Array;
  /** Points written. */
  used: number;
  /** Slices held in it. */
  live: number;
}

/** A held slice: its metadata, and where its points are. */
interface Held {
  readonly slice: Omit<StoredSlice, "timestamps" | "values">;
  /** Its segment, or undefined when it is larger than one (then `own` holds its points). */
  readonly segment: Segment | undefined;
  readonly offset: number;
  readonly points: number;
  readonly own: { timestamps: Float64Array; values: Float64Array } | undefined;
}

export class RetainedSlices {
  readonly #limit: number;
  readonly #segmentPoints: number;
  /** keyString → held slice. */
  readonly #held = new Map<string, Held>();
  /**
   * Keys in the order acked, oldest at `#head` (entries whose slice was replaced or dropped since are
   * skipped when reached). Not the Map's own order: iterating a Map from its start walks over every entry
   * deleted since its last rehash, so evicting the oldest one by one cost O(held) each.
   */
  #order: Array<[string, Held]> = [];
  #head = 0;
  /** Segments in use, oldest first; the last is filled next. */
  readonly #segments: Segment[] = [];
  /** An emptied segment kept for the next one (no new allocation while sending steadily). */
  #spare: Segment | undefined;
  /** Bytes of points of slices too large for a segment. */
  #ownBytes = 0;
  #bytes = 0;

  constructor(limitBytes: number) {
    this.#limit = limitBytes;
    // Small limits get small segments, so that at least a few fit.
    this.#segmentPoints = Math.max(1, Math.min(SEGMENT_POINTS, Math.floor(limitBytes / 16 / 4)));
  }

  /** Bytes of the slices held (the outbox's estimate of each). */
  get bytes(): number {
    return this.#bytes;
  }

  /** Bytes of memory holding points: what the limit bounds. */
  get footprintBytes(): number {
    return this.#segments.length * this.#segmentPoints * 16 + this.#ownBytes;
  }

  /** Hold the newest acked version of a key (its points copied). */
  add(slice: StoredSlice): void {
    if (this.#limit <= 0) return;
    const k = keyString(slice);
    const old = this.#held.get(k);
    if (old) {
      if (old.slice.version > slice.version) return;
      this.#remove(k, old);
    }
    const n = slice.values.length;
    const meta: Held["slice"] = { dataId: slice.dataId, channel: slice.channel, chunkIndex: slice.chunkIndex, version: slice.version, points: slice.points, bytes: slice.bytes, complete: slice.complete, createdAt: slice.createdAt, units: slice.units };
    if (n * 16 > this.#limit) return; // larger than everything that may be held
    let held: Held;
    if (n > this.#segmentPoints) {
      const own = { timestamps: Float64Array.from(slice.timestamps), values: Float64Array.from(slice.values) };
      this.#ownBytes += n * 16;
      held = { slice: meta, segment: undefined, offset: 0, points: n, own };
    } else {
      const segment = this.#room(n);
      const offset = segment.used;
      segment.timestamps.set(slice.timestamps, offset);
      segment.values.set(slice.values, offset);
      segment.used = offset + n;
      segment.live += 1;
      held = { slice: meta, segment, offset, points: n, own: undefined };
    }
    this.#held.set(k, held);
    this.#order.push([k, held]);
    this.#bytes += slice.bytes;
    // The oldest acked go first, until what is held fits (never the slice just added).
    while (this.footprintBytes > this.#limit && this.#head < this.#order.length) {
      const [key, h] = this.#order[this.#head]!;
      if (h === held) break;
      this.#head++;
      if (this.#held.get(key) === h) this.#remove(key, h);
    }
    // Squeeze out what was passed or replaced once it outnumbers what is held (amortised O(1) a slice).
    if (this.#order.length > 2 * this.#held.size + 1024) {
      this.#order = this.#order.slice(this.#head).filter(([key, h]) => this.#held.get(key) === h);
      this.#head = 0;
    }
  }

  /** A segment with room for `n` more points. */
  #room(n: number): Segment {
    const last = this.#segments[this.#segments.length - 1];
    if (last && last.used + n <= this.#segmentPoints) return last;
    let segment = this.#spare;
    this.#spare = undefined;
    if (segment) {
      segment.used = 0;
      segment.live = 0;
    } else {
      segment = { timestamps: new Float64Array(this.#segmentPoints), values: new Float64Array(this.#segmentPoints), used: 0, live: 0 };
    }
    this.#segments.push(segment);
    return segment;
  }

  #remove(key: string, h: Held): void {
    this.#held.delete(key);
    this.#bytes -= h.slice.bytes;
    if (h.own) {
      this.#ownBytes -= h.own.values.length * 16;
      return;
    }
    const segment = h.segment!;
    segment.live -= 1;
    if (segment.live > 0) return;
    const last = this.#segments[this.#segments.length - 1];
    if (segment === last) {
      segment.used = 0; // empty: filled again from its start
      return;
    }
    this.#segments.splice(this.#segments.indexOf(segment), 1);
    this.#spare = segment;
  }

  /** A stream's held slices by channel and chunk index (their points copied out). */
  of(dataId: string): Map<string, Map<number, StoredSlice>> {
    const out = new Map<string, Map<number, StoredSlice>>();
    for (const h of this.#held.values()) {
      if (h.slice.dataId !== dataId) continue;
      let byChunk = out.get(h.slice.channel);
      if (!byChunk) out.set(h.slice.channel, (byChunk = new Map()));
      byChunk.set(h.slice.chunkIndex, this.#slice(h));
    }
    return out;
  }

  #slice(h: Held): StoredSlice {
    const n = h.points;
    const from = h.own ?? h.segment!;
    const offset = h.own ? 0 : h.offset;
    return { ...h.slice, timestamps: Array.from(from.timestamps.subarray(offset, offset + n)), values: Array.from(from.values.subarray(offset, offset + n)) };
  }

  /** Forget a stream (finalized). */
  drop(dataId: string): void {
    for (const [k, h] of this.#held) if (h.slice.dataId === dataId) this.#remove(k, h);
    if (this.#held.size === 0) {
      this.#order = [];
      this.#head = 0;
    }
  }
}
