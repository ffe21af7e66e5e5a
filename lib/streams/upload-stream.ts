import { ChunkTransformer } from "./chunk-transformer.js";
import { WritableStreamBase } from "./web-streams.js";
import type { Reading, Slice } from "../types.js";

export interface UploadStreamOptions {
  /**
   * Send an open chunk as a partial slice (same chunk index) once it has waited this long; the full
   * slice replaces it. 0 or Infinity: full slices only (and the rest on close). @default 1000
   */
  maxLatencyMs?: number;
  /** Finalize the stream when the writable closes. @default true */
  finalizeOnClose?: boolean;
  /**
   * How long close() waits for pending slices before the finalize is deferred (it completes by itself
   * later). Over a non-durable outbox (MemoryOutbox) close() then rejects with an UnsentDataError instead:
   * the data would not outlive the process. @default 30000
   */
  finalizeTimeoutMs?: number;
}

/** What an UploadStream needs from its streamer. */
export interface UploadTarget {
  readonly dataId: string;
  readonly pointsPerChunk: number;
  readonly startChunkIndex: Readonly<Record<string, number>>;
  /**
   * Whether `accept` keeps the open chunks (a durable outbox does; a MemoryOutbox would only hold them twice).
   * When false, no copy of them is made for each write. @default true
   */
  readonly keepsOpenChunks?: boolean;
  /** Resolves when there is room in the outbox (backpressure). */
  waitForSpace(): Promise<void>;
  /**
   * Put slices in the outbox, durably, with the stream's next chunk indices and, when given, the open
   * chunks (every point not yet in a slice; kept in the stream's state by a durable outbox, put as short
   * slices by the next process if this one ends first). Must start the put synchronously.
   */
  accept(slices: Slice[], nextChunkIndex: Record<string, number>, open?: Slice[] | undefined): Promise<void>;
  /** Report a failure that no caller is waiting for (a timer's partial put). */
  report(error: unknown): void;
  finalize(timeoutMs: number | undefined): Promise<unknown>;
  /** On close without finalizing: resolve when nothing would be lost at exit (a non-durable outbox waits for the server), or reject naming what is unsent. */
  drain?(timeoutMs: number | undefined): Promise<void>;
}

/**
 * The sink of an UploadStream: ChunkStream's transformer driven synchronously (one chunker, one latency
 * timer), each write's put awaited so that `write()` resolves only once its readings are durable.
 */
class UploadSink implements UnderlyingSink<Reading | Reading[]> {
  readonly #target: UploadTarget;
  readonly #options: UploadStreamOptions;
  readonly #chunks: ChunkTransformer;
  /** The sealing put, once seal() was called. */
  #sealing: Promise<void> | undefined;

  constructor(target: UploadTarget, options: UploadStreamOptions) {
    this.#target = target;
    this.#options = options;
    // The latency timer's partial slices go to the outbox like a write's, with the open chunks.
    this.#chunks = new ChunkTransformer(
      { pointsPerChunk: target.pointsPerChunk, startChunkIndex: target.startChunkIndex, maxLatencyMs: options.maxLatencyMs },
      (partials) => this.#put(partials),
    );
  }

  get sealed(): boolean {
    return this.#chunks.sealed;
  }

  async write(batch: Reading | Reading[]): Promise<void> {
    const target = this.#target;
    if (this.sealed) throw new Error(`Stream ${target.dataId} is being finalized: this writable takes no more readings.`);
    try {
      ChunkTransformer.check(batch);
    } catch (error) {
      await this.seal();
      throw error;
    }
    await target.waitForSpace();
    if (this.sealed) throw new Error(`Stream ${target.dataId} is being finalized: this writable takes no more readings.`);
    const full = this.#chunks.add(batch);
    // One put per write: the slices it completed and the open chunks with it (design §3.3: the
    // write resolves when all its readings are durable, not only those that filled a chunk).
    await target.accept(full, this.#chunks.nextChunkIndex(), this.#open());
  }

  async close(): Promise<void> {
    await this.seal();
    if (this.#options.finalizeOnClose ?? true) await this.#target.finalize(this.#options.finalizeTimeoutMs);
    else await this.#target.drain?.(this.#options.finalizeTimeoutMs);
  }

  async abort(): Promise<void> {
    await this.seal();
  }

  /**
   * Close the open chunks as they are (short slices) into the outbox; no readings after this. Every call
   * gets the one sealing put: a finalize that seals a writable its close is already sealing waits for it.
   */
  seal(): Promise<void> {
    this.#sealing ??= this.#seal();
    return this.#sealing;
  }

  async #seal(): Promise<void> {
    const rest = this.#chunks.seal();
    if (rest.length > 0) await this.#target.accept(rest, this.#chunks.nextChunkIndex(), []);
  }

  /** A copy of every open chunk, for the put that goes with each write, where the outbox keeps them (a durable one); else none. */
  #open(): Slice[] | undefined {
    return this.#target.keepsOpenChunks === false ? undefined : this.#chunks.open();
  }

  /** Send the open chunks now as partial slices (their readings are durable already: this only makes them visible sooner). */
  sendOpen(): void {
    if (this.sealed) return;
    const partials = this.#chunks.partials();
    if (partials.length > 0) this.#put(partials);
  }

  /** A put no caller waits for (partial slices): its failure is reported; the readings stay in the open chunks. */
  #put(partials: Slice[]): void {
    this.#target.accept(partials, this.#chunks.nextChunkIndex(), this.#open()).catch((e: unknown) => this.#target.report(e));
  }
}

/**
 * A WritableStream of readings for one stream: `write()` resolves once its readings are durable in
 * the outbox — those that completed slices as slices, the rest with the open chunks in the stream's
 * state (a durable outbox; see streamer/open-chunks.ts), so a reload or a crash loses no resolved write;
 * when the outbox is full, writes wait (`desiredSize` drops). Partial slices go out after `maxLatencyMs`.
 * `close()` seals the open chunks, drains and finalizes; `abort()` seals them and keeps them in the
 * outbox. A reading that is not valid rejects its write with a message naming the field and value — the
 * open chunks are sealed into the outbox first, so nothing accepted before is lost.
 *
 * Built on ChunkStream's transformer (chunk-transformer.ts), driven from this stream's sink.
 * Made by `streamer.writable(dataId, { maxLatencyMs })`.
 */
export class UploadStream extends WritableStreamBase<Reading | Reading[]> {
  readonly #sink: UploadSink;

  constructor(target: UploadTarget, options: UploadStreamOptions = {}) {
    const sink = new UploadSink(target, options);
    super(sink);
    this.#sink = sink;
  }

  /** True once this writable takes no more readings: closed, aborted, sealed, or it refused a bad reading. */
  get sealed(): boolean {
    return this.#sink.sealed;
  }

  /**
   * Close the open chunks as they are (short slices) into the outbox and take no more readings: what
   * `finalize()` does to a writable still open on its stream. Writes after it reject.
   */
  seal(): Promise<void> {
    return this.#sink.seal();
  }

  /** Send the open chunks now as partial slices (same chunk index; the chunks stay open). */
  sendOpen(): void {
    this.#sink.sendOpen();
  }
}
