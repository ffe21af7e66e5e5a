/** Slices as the store takes them, and why a write may be refused. */

export interface SliceInput {
  channel_name: string;
  /** Unix epoch seconds, as sent. Stored as whole milliseconds (the platform's DECIMAL(13,3) seconds). */
  timestamps: number[];
  values: number[];
  units?: string | undefined;
}

/** Why a write was not stored: the stream is unknown, finalized, or a slice is longer than its chunk. */
export type PutRefusal =
  | { refused: "unknown" }
  | { refused: "finalized"; pipelineStatus: string }
  | { refused: "too_long"; pointsPerChunk: number };

/** Seconds → whole milliseconds, as DECIMAL(13,3) seconds hold them. */
export const toMs = (seconds: number): number => Math.round(seconds * 1000);
