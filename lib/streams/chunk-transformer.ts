/**
 * ChunkStream's transformer, and the one chunking core of the streams: a Chunker and its LatencyTimer.
 * ChunkStream runs it as a TransformStream (slices enqueued as they fill, partial slices when the timer
 * fires, the rest on close). UploadStream drives the same core synchronously from its sink instead of
 * sitting behind a ChunkStream: its `write()` must resolve only once the write's readings are durable —
 * the slices they completed and the open chunks — and a TransformStream in between would resolve it as
 * soon as the slices were enqueued.
 */
import { Chunker } from "./chunker.js";
import { LatencyTimer } from "./latency-timer.js";
import type { Reading, Slice } from "../types.js";
import type { ChunkStreamOptions } from "./chunk-stream.js";

export class ChunkTransformer implements Transformer<Reading | Reading[], Slice[]> {
  readonly #chunker: Chunker;
  readonly #timer: LatencyTimer;
  /** Where the timer's partial slices go: the readable side (ChunkStream) or the caller's function (UploadStream). */
  #partials: (slices: Slice[]) => void;
  #sealed = false;

  /** `partials`: where the latency timer's partial slices go when the core is driven directly (as a Transformer: the readable side). */
  constructor(options: ChunkStreamOptions = {}, partials: (slices: Slice[]) => void = () => {}) {
    this.#chunker = new Chunker(options);
    this.#partials = partials;
    this.#timer = new LatencyTimer(options.maxLatencyMs, () => {
      const slices = this.#chunker.partials();
      if (slices.length > 0) this.#partials(slices);
    });
  }

  // ---- as a Transformer (ChunkStream) ----

  start(controller: TransformStreamDefaultController<Slice[]>): void {
    this.#partials = (slices) => {
      try {
        controller.enqueue(slices);
      } catch {
        // the readable side is gone
      }
    };
  }

  transform(batch: Reading | Reading[], controller: TransformStreamDefaultController<Slice[]>): void {
    const full = this.add(batch); // the chunker checks each reading as it copies it (a bad one errors the stream, taking nothing of its batch)
    if (full.length > 0) controller.enqueue(full);
  }

  flush(controller: TransformStreamDefaultController<Slice[]>): void {
    const rest = this.seal();
    if (rest.length > 0) controller.enqueue(rest);
  }

  /** Transformer.cancel (newer spec): the readable side was cancelled. */
  cancel(): void {
    this.#timer.stop();
  }

  // ---- the synchronous core (UploadStream) ----

  get pointsPerChunk(): number {
    return this.#chunker.pointsPerChunk;
  }

  /** Sealed: takes no more readings (`seal()` was called). */
  get sealed(): boolean {
    return this.#sealed;
  }

  /** Check a batch without taking any of it: throws InvalidInputError naming the reading. */
  static check(batch: Reading | readonly Reading[]): void {
    Chunker.check(batch);
  }

  /** Check and add readings (a bad one throws, naming it, and nothing of the batch is taken); returns the slices they completed, and (re)arms the latency timer for the rest. */
  add(batch: Reading | readonly Reading[]): Slice[] {
    const full = this.#chunker.add(batch);
    this.#timer.update(this.#chunker.dirty);
    return full;
  }

  /** Partial slices of the open chunks that gained points since the last ones (what the timer hands out); the chunks stay open. */
  partials(): Slice[] {
    return this.#chunker.partials();
  }

  /** Copies of every open chunk with points (see Chunker.open). */
  open(): Slice[] {
    return this.#chunker.open();
  }

  /** The next chunk index of each channel seen. */
  nextChunkIndex(): Record<string, number> {
    return this.#chunker.nextChunkIndex();
  }

  /** Stop the timer and close every open chunk as it is (short slices); no readings after this. */
  seal(): Slice[] {
    this.#sealed = true;
    this.#timer.stop();
    return this.#chunker.seal();
  }
}
