import { Chunker } from "./chunker.js";
import { LatencyTimer } from "./latency-timer.js";
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
  /** This writable takes no more readings (closed, aborted, sealed, or refused a bad reading). */
  detach(): void;
}

/**
 * A WritableStream of readings for one stream: `write()` resolves once its readings are durable in
 * the outbox — those that completed slices as slices, the rest with the open chunks in the stream's
 * state (a durable outbox; see streamer/open-chunks.ts), so a reload or a crash loses no resolved write; when the outbox is full, writes wait (`desiredSize` drops).
 * Partial slices go out after `maxLatencyMs`. `close()` seals the open chunks, drains and finalizes;
 * `abort()` seals them and keeps them in the outbox. A reading that is not valid rejects its write
 * with a message naming the field and value — the open chunks are sealed into the outbox first, so
 * nothing accepted before is lost.
 *
 * Made by `streamer.writable(dataId, { maxLatencyMs })`.
 */
export class UploadStream extends WritableStreamBase<Reading | Reading[]> {
  constructor(target: UploadTarget, options: UploadStreamOptions = {}) {
    const chunker = new Chunker({ pointsPerChunk: target.pointsPerChunk, startChunkIndex: target.startChunkIndex });
    // A copy of every open chunk, for each write, only where they are kept.
    const open = target.keepsOpenChunks === false ? () => undefined : () => chunker.open();
    let done = false;
    const timer = new LatencyTimer(options.maxLatencyMs, () => {
      if (done) return;
      const partials = chunker.partials();
      if (partials.length > 0) target.accept(partials, chunker.nextChunkIndex(), open()).catch((e: unknown) => target.report(e));
    });
    // Send the open chunks now as partial slices (their readings are durable already: this makes them
    // visible sooner, e.g. when a page is hidden — see persistOnPageHide).
    const sendOpen = () => {
      if (done) return;
      const partials = chunker.partials();
      if (partials.length > 0) target.accept(partials, chunker.nextChunkIndex(), open()).catch((e: unknown) => target.report(e));
    };
    const sealAll = async () => {
      timer.stop();
      const rest = chunker.seal();
      if (rest.length > 0) await target.accept(rest, chunker.nextChunkIndex(), []);
    };
    const seal = async () => {
      if (done) return;
      done = true;
      await sealAll();
      target.detach();
    };
    super({
      async write(batch) {
        if (done) throw new Error(`Stream ${target.dataId} is being finalized: this writable takes no more readings.`);
        await target.waitForSpace();
        let full: Slice[];
        try {
          full = chunker.add(batch); // checks each reading as it copies it; a bad one takes nothing of the batch
        } catch (error) {
          done = true;
          await sealAll();
          target.detach();
          throw error;
        }
        // One put per write: the slices it completed and the open chunks with it (design §3.3: the
        // write resolves when all its readings are durable, not only those that filled a chunk).
        await target.accept(full, chunker.nextChunkIndex(), open());
        if (!done) timer.update(chunker.dirty);
      },
      async close() {
        done = true;
        await sealAll();
        target.detach();
        if (options.finalizeOnClose ?? true) await target.finalize(options.finalizeTimeoutMs);
        else await target.drain?.(options.finalizeTimeoutMs);
      },
      async abort() {
        done = true;
        await sealAll();
        target.detach();
      },
    });
    this.#seal = seal;
    this.#sendOpen = sendOpen;
  }

  readonly #seal: () => Promise<void>;
  readonly #sendOpen: () => void;

  /**
   * Close the open chunks as they are (short slices) into the outbox and take no more readings: what
   * `finalize()` does to a writable still open on its stream. Writes after it reject.
   */
  seal(): Promise<void> {
    return this.#seal();
  }

  /** Send the open chunks now as partial slices (same chunk index; the chunks stay open). */
  sendOpen(): void {
    this.#sendOpen();
  }
}
