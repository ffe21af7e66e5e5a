/**
 * The chunking logic shared by ChunkStream and UploadStream: per-channel buffers of `pointsPerChunk`,
 * per-channel chunk counters, partial slices on demand. Synchronous and runtime-free.
 *
 * The hot path (every reading) is one loop that checks and copies: each channel's buffers are arrays of
 * `pointsPerChunk` numbers made up front (one copy of a template, no growth by `push`), filled by index
 * and handed over whole as the slice's arrays when the chunk is full. A channel's name and units are
 * checked once, when first seen (and when the units change); every reading's time and value are checked
 * as they are copied. A bad reading anywhere in a batch undoes the batch: `add` throws and the chunker
 * is as it was before the call.
 */
import { checkReading, MAX_EPOCH_SECONDS } from "../input.js";
import { channelRecord, ownEntry, type Reading, type Slice } from "../types.js";

/** Buffers longer than this are not made up front: they start at this length and grow. */
const MAX_PREALLOCATED_POINTS = 4096;

interface ChannelBuffer {
  readonly name: string;
  chunkIndex: number;
  /** Points in the open chunk (the arrays' first `n` entries). */
  n: number;
  timestamps: number[];
  values: number[];
  units: string | undefined;
  /** Points of the open chunk already sent in a partial slice (it is dirty while `n` is above it). */
  sent: number;
  /** The `add` call that saved this buffer's state below (to undo that call's readings). */
  epoch: number;
  saved: { chunkIndex: number; n: number; timestamps: number[]; values: number[]; units: string | undefined; sent: number } | undefined;
  /**
   * The channel that came after this one last time (readings of several channels arrive in turn): the
   * hot loop tries it before the Map. A hint only, always a buffer held in the Map (`#undo` clears them).
   */
  follower: ChannelBuffer | undefined;
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
  /** A packed array of doubles, `min(pointsPerChunk, MAX_PREALLOCATED_POINTS)` long: new buffers are copies of it. */
  readonly #template: number[];
  #epoch = 0;

  constructor(options: ChunkerOptions = {}) {
    const ppc = options.pointsPerChunk ?? 100;
    if (!Number.isSafeInteger(ppc) || ppc < 1) throw new RangeError(`pointsPerChunk must be a whole number ≥ 1, got ${ppc}.`);
    this.pointsPerChunk = ppc;
    // Copied as own entries only: any channel name (`__proto__`, `constructor` …) is a plain key here.
    this.#start = channelRecord(Object.entries(options.startChunkIndex ?? {}));
    const template: number[] = [];
    for (let i = Math.min(ppc, MAX_PREALLOCATED_POINTS); i > 0; i--) template.push(0.5); // doubles: no element-kind change on fill
    this.#template = template;
  }

  /** Check a batch without taking any of it: throws InvalidInputError naming the reading. */
  static check(batch: Reading | readonly Reading[]): void {
    if (Array.isArray(batch)) for (let i = 0; i < batch.length; i++) checkReading(batch[i], i);
    else checkReading(batch);
  }

  /**
   * Check and add readings; returns the slices they completed, grouped as they filled. A reading that is
   * not valid throws InvalidInputError naming it (`reading…`, or `readings[i]…` in a batch), and nothing
   * of the batch is taken.
   */
  add(batch: Reading | readonly Reading[]): Slice[] {
    const out: Slice[] = [];
    const epoch = ++this.#epoch;
    if (!Array.isArray(batch)) {
      this.#addOne(batch as Reading, epoch, out);
      return out;
    }
    // The hot loop, written out here (not a call per reading); the rare paths are calls.
    const readings = batch as readonly Reading[];
    const channels = this.#channels;
    const ppc = this.pointsPerChunk;
    let i = 0;
    let prev: ChannelBuffer | undefined;
    try {
      for (; i < readings.length; i++) {
        const r = readings[i]!;
        let ch: ChannelBuffer | undefined;
        if (typeof r === "object" && r !== null) {
          const guess = prev?.follower;
          ch = guess !== undefined && guess.name === r.channel ? guess : channels.get(r.channel);
        }
        // A channel first seen (or not an object: throws), or first touched in this call (its state saved for an undo).
        if (ch === undefined || ch.epoch !== epoch) ch = this.#touch(r, i, epoch, ch);
        if (prev !== undefined) prev.follower = ch;
        prev = ch;
        const t = r.t;
        const value = r.value;
        // Finite numbers (NaN and ±Infinity fail both comparisons), times in epoch seconds; else checkReading throws naming the field.
        if (typeof t !== "number" || !(Math.abs(t) < MAX_EPOCH_SECONDS) || typeof value !== "number" || value - value !== 0) checkReading(r, i);
        const units = r.units;
        if (units !== undefined && units !== ch.units) {
          checkReading(r, i); // units: a string without NUL
          ch.units = units;
        }
        const n = ch.n;
        ch.timestamps[n] = t;
        ch.values[n] = value;
        ch.n = n + 1;
        if (n + 1 === ppc) out.push(this.#handOver(ch, true));
      }
    } catch (error) {
      this.#undo(epoch);
      throw error;
    }
    return out;
  }

  /** The rare path of the hot loop: a channel first seen (checked whole, opened) or first touched in call `epoch` (saved). */
  #touch(r: Reading, index: number, epoch: number, ch: ChannelBuffer | undefined): ChannelBuffer {
    if (ch === undefined) return this.#open(r, index, epoch);
    this.#save(ch, epoch);
    return ch;
  }

  /** One reading (not a batch): checked before it changes anything, so nothing needs undoing. */
  #addOne(r: Reading, epoch: number, out: Slice[]): void {
    if (typeof r !== "object" || r === null) return checkReading(r); // throws
    let ch = this.#channels.get(r.channel);
    if (ch === undefined) ch = this.#open(r, undefined, epoch);
    const t = r.t;
    const value = r.value;
    if (typeof t !== "number" || !(Math.abs(t) < MAX_EPOCH_SECONDS) || typeof value !== "number" || value - value !== 0) checkReading(r);
    const units = r.units;
    if (units !== undefined && units !== ch.units) {
      checkReading(r);
      ch.units = units;
    }
    const n = ch.n;
    ch.timestamps[n] = t;
    ch.values[n] = value;
    ch.n = n + 1;
    if (n + 1 === this.pointsPerChunk) out.push(this.#handOver(ch, true));
  }

  /** A channel seen for the first time: its reading checked whole, its buffers made. */
  #open(r: Reading, index: number | undefined, epoch: number): ChannelBuffer {
    checkReading(r, index);
    const ch: ChannelBuffer = {
      name: r.channel,
      chunkIndex: ownEntry(this.#start, r.channel) ?? 0,
      n: 0,
      timestamps: this.#template.slice(),
      values: this.#template.slice(),
      units: r.units,
      sent: 0,
      epoch,
      saved: undefined, // new in this call: undone by removing it
      follower: undefined,
    };
    this.#channels.set(r.channel, ch);
    return ch;
  }

  /** Remember a buffer's state as this `add` call found it. */
  #save(ch: ChannelBuffer, epoch: number): void {
    ch.epoch = epoch;
    ch.saved = { chunkIndex: ch.chunkIndex, n: ch.n, timestamps: ch.timestamps, values: ch.values, units: ch.units, sent: ch.sent };
  }

  /**
   * Put every buffer the call `epoch` touched back as it was. Buffers handed over as slices meanwhile
   * are the saved arrays themselves, filled only past the saved count: their first `n` entries are intact.
   */
  #undo(epoch: number): void {
    for (const ch of this.#channels.values()) ch.follower = undefined; // may name a buffer dropped below
    for (const [name, ch] of this.#channels) {
      if (ch.epoch !== epoch) continue;
      const saved = ch.saved;
      if (saved === undefined) {
        this.#channels.delete(name);
        continue;
      }
      ch.chunkIndex = saved.chunkIndex;
      ch.n = saved.n;
      ch.timestamps = saved.timestamps;
      ch.values = saved.values;
      ch.units = saved.units;
      ch.sent = saved.sent;
      ch.epoch = 0;
      ch.saved = undefined;
    }
  }

  /** The open chunk as a slice of its own arrays (cut to its points); the channel continues with fresh buffers at the next index. */
  #handOver(ch: ChannelBuffer, complete: boolean): Slice {
    const { timestamps, values, n } = ch;
    if (timestamps.length !== n) {
      timestamps.length = n;
      values.length = n;
    }
    const slice: Slice = { channel: ch.name, chunkIndex: ch.chunkIndex, timestamps, values, units: ch.units, complete };
    ch.chunkIndex += 1;
    ch.n = 0;
    ch.timestamps = this.#template.slice();
    ch.values = this.#template.slice();
    ch.sent = 0;
    return slice;
  }

  /** The open chunk's points so far, copied (the chunk stays open). */
  #copy(ch: ChannelBuffer): Slice {
    return { channel: ch.name, chunkIndex: ch.chunkIndex, timestamps: ch.timestamps.slice(0, ch.n), values: ch.values.slice(0, ch.n), units: ch.units, complete: false };
  }

  /** True when some channel holds points not yet sent in any slice. */
  get dirty(): boolean {
    for (const ch of this.#channels.values()) if (ch.n > ch.sent) return true;
    return false;
  }

  /** Points buffered in open chunks. */
  get bufferedPoints(): number {
    let n = 0;
    for (const ch of this.#channels.values()) n += ch.n;
    return n;
  }

  /**
   * Partial slices of every open chunk that gained points since the last call: same chunk index,
   * all points so far (a partial replaces the previous one on the server). The chunks stay open.
   */
  partials(): Slice[] {
    const out: Slice[] = [];
    for (const ch of this.#channels.values()) {
      if (ch.n <= ch.sent) continue;
      out.push(this.#copy(ch));
      ch.sent = ch.n;
    }
    return out;
  }

  /**
   * Copies of every open chunk that holds points (all its points so far, `complete: false`), whether or
   * not it was sent as a partial: what must outlive the process for `write()` to have kept its promise.
   */
  open(): Slice[] {
    const out: Slice[] = [];
    for (const ch of this.#channels.values()) if (ch.n > 0) out.push(this.#copy(ch));
    return out;
  }

  /** Close every open chunk as it is (short slices; never an empty one) and advance its counter: for close, abort or a page hide. */
  seal(): Slice[] {
    const out: Slice[] = [];
    for (const ch of this.#channels.values()) if (ch.n > 0) out.push(this.#handOver(ch, false));
    return out;
  }

  /** The next chunk index of each channel seen (what a continuation starts from). */
  nextChunkIndex(): Record<string, number> {
    const next = channelRecord(Object.entries(this.#start));
    for (const ch of this.#channels.values()) next[ch.name] = ch.chunkIndex + (ch.n > 0 ? 1 : 0);
    return next;
  }
}
