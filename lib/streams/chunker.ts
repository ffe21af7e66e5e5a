/**
 * The chunking logic shared by ChunkStream and UploadStream: per-channel buffers of `pointsPerChunk`,
 * per-channel chunk counters, partial slices on demand. Synchronous and runtime-free.
 */
import { checkReading } from "../input.js";
import { channelRecord, ownEntry, type Reading, type Slice } from "../types.js";

interface ChannelBuffer {
  chunkIndex: number;
  timestamps: number[];
  values: number[];
  units: string | undefined;
  /** Points added since the last partial slice was taken. */
  dirty: boolean;
}

export interface ChunkerOptions {
  /** Points per slice; fixed for a stream. @default 100 */
  pointsPerChunk?: number;
  /** Chunk index to start each channel at (continuing a stream); channels not named start at 0. */
  startChunkIndex?: Readonly<Record<string, number>>;
}

export class Chunker {
  readonly pointsPerChunk: number;
  readonly #channels = new Map<string, ChannelBuffer>();
  readonly #start: Readonly<Record<string, number>>;

  constructor(options: ChunkerOptions = {}) {
    const ppc = options.pointsPerChunk ?? 100;
    if (!Number.isSafeInteger(ppc) || ppc < 1) throw new RangeError(`pointsPerChunk must be a whole number ≥ 1, got ${ppc}.`);
    this.pointsPerChunk = ppc;
    // Copied as own entries only: any channel name (`__proto__`, `constructor` …) is a plain key here.
    this.#start = channelRecord(Object.entries(options.startChunkIndex ?? {}));
  }

  /** Check a batch without taking any of it: throws InvalidInputError naming the reading. */
  static check(batch: Reading | readonly Reading[]): void {
    if (Array.isArray(batch)) for (let i = 0; i < batch.length; i++) checkReading(batch[i], i);
    else checkReading(batch);
  }

  /** Add readings (already checked); returns the slices they completed, grouped as they filled. */
  add(batch: Reading | readonly Reading[]): Slice[] {
    const out: Slice[] = [];
    if (Array.isArray(batch)) for (const r of batch) this.#addOne(r, out);
    else this.#addOne(batch as Reading, out);
    return out;
  }

  #addOne(r: Reading, out: Slice[]): void {
    let ch = this.#channels.get(r.channel);
    if (!ch) {
      ch = { chunkIndex: ownEntry(this.#start, r.channel) ?? 0, timestamps: [], values: [], units: r.units, dirty: false };
      this.#channels.set(r.channel, ch);
    }
    ch.timestamps.push(r.t);
    ch.values.push(r.value);
    if (r.units !== undefined) ch.units = r.units;
    ch.dirty = true;
    if (ch.values.length === this.pointsPerChunk) out.push(this.#seal(r.channel, ch, true));
  }

  #seal(channel: string, ch: ChannelBuffer, complete: boolean): Slice {
    const slice: Slice = { channel, chunkIndex: ch.chunkIndex, timestamps: ch.timestamps, values: ch.values, units: ch.units, complete };
    ch.chunkIndex += 1;
    ch.timestamps = [];
    ch.values = [];
    ch.dirty = false;
    return slice;
  }

  /** True when some channel holds points not yet sent in any slice. */
  get dirty(): boolean {
    for (const ch of this.#channels.values()) if (ch.dirty) return true;
    return false;
  }

  /** Points buffered in open chunks. */
  get bufferedPoints(): number {
    let n = 0;
    for (const ch of this.#channels.values()) n += ch.values.length;
    return n;
  }

  /**
   * Partial slices of every open chunk that gained points since the last call: same chunk index,
   * all points so far (a partial replaces the previous one on the server). The chunks stay open.
   */
  partials(): Slice[] {
    const out: Slice[] = [];
    for (const [channel, ch] of this.#channels) {
      if (!ch.dirty || ch.values.length === 0) continue;
      out.push({ channel, chunkIndex: ch.chunkIndex, timestamps: ch.timestamps.slice(), values: ch.values.slice(), units: ch.units, complete: false });
      ch.dirty = false;
    }
    return out;
  }

  /**
   * Copies of every open chunk that holds points (all its points so far, `complete: false`), whether or
   * not it was sent as a partial: what must outlive the process for `write()` to have kept its promise.
   */
  open(): Slice[] {
    const out: Slice[] = [];
    for (const [channel, ch] of this.#channels) {
      if (ch.values.length > 0) out.push({ channel, chunkIndex: ch.chunkIndex, timestamps: ch.timestamps.slice(), values: ch.values.slice(), units: ch.units, complete: false });
    }
    return out;
  }

  /** Close every open chunk as it is (short slices; never an empty one) and advance its counter: for close, abort or a page hide. */
  seal(): Slice[] {
    const out: Slice[] = [];
    for (const [channel, ch] of this.#channels) if (ch.values.length > 0) out.push(this.#seal(channel, ch, false));
    return out;
  }

  /** The next chunk index of each channel seen (what a continuation starts from). */
  nextChunkIndex(): Record<string, number> {
    const next = channelRecord(Object.entries(this.#start));
    for (const [channel, ch] of this.#channels) next[channel] = ch.chunkIndex + (ch.values.length > 0 ? 1 : 0);
    return next;
  }
}
