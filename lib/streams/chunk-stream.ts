import { Chunker } from "./chunker.js";
import { LatencyTimer } from "./latency-timer.js";
import { TransformStreamBase } from "./web-streams.js";
import type { Reading, Slice } from "../types.js";

export interface ChunkStreamOptions {
  /** Points per slice. @default 100 */
  pointsPerChunk?: number;
  /**
   * Send what an open chunk holds as a partial slice (same chunk index) once its oldest unsent point
   * is this old; the full slice replaces it later. 0 or Infinity: only full slices, and the rest on close.
   * @default 1000
   */
  maxLatencyMs?: number;
  /** Chunk index each channel starts at (continuing a stream). @default 0 for every channel */
  startChunkIndex?: Readonly<Record<string, number>>;
}

/**
 * Readings in, slices out: per-channel buffers of `pointsPerChunk`, per-channel chunk counters,
 * slices that fill in the same write grouped in one output array, partial slices after
 * `maxLatencyMs`, and what remains on close. A reading that is not valid errors the stream with a
 * message naming the field and the value.
 *
 * @example
 * await readings.pipeThrough(new ChunkStream({ pointsPerChunk: 100 })).pipeTo(sink);
 */
export class ChunkStream extends TransformStreamBase<Reading | Reading[], Slice[]> {
  constructor(options: ChunkStreamOptions = {}) {
    const chunker = new Chunker(options);
    let controller: TransformStreamDefaultController<Slice[]>;
    const timer = new LatencyTimer(options.maxLatencyMs, () => {
      const partials = chunker.partials();
      if (partials.length > 0) {
        try {
          controller.enqueue(partials);
        } catch {
          return; // the readable side is gone
        }
      }
    });
    super({
      start(c) {
        controller = c;
      },
      transform(batch, c) {
        const full = chunker.add(batch); // checks each reading as it copies it (a bad one errors the stream)
        if (full.length > 0) c.enqueue(full);
        timer.update(chunker.dirty);
      },
      flush(c) {
        timer.stop();
        const rest = chunker.seal();
        if (rest.length > 0) c.enqueue(rest);
      },
      // Transformer.cancel (newer spec): stop the timer when the readable side is cancelled.
      ...({ cancel: () => timer.stop() } as object),
    });
  }
}
