import { ChunkTransformer } from "./chunk-transformer.js";
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
 * message naming the field and the value. Its transformer (chunk-transformer.ts) is also the core that
 * UploadStream drives: one chunker and one latency timer for both.
 *
 * @example
 * await readings.pipeThrough(new ChunkStream({ pointsPerChunk: 100 })).pipeTo(sink);
 */
export class ChunkStream extends TransformStreamBase<Reading | Reading[], Slice[]> {
  constructor(options: ChunkStreamOptions = {}) {
    super(new ChunkTransformer(options));
  }
}
