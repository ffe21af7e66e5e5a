/** The outbox's estimate of a slice's size: 16 bytes a point (timestamp and value) plus overhead. */

export const SLICE_OVERHEAD_BYTES = 96;

/** Bytes a slice of `points` points on `channel` counts against an outbox's capacity. */
export const sliceBytes = (points: number, channel: string): number => points * 16 + channel.length * 2 + SLICE_OVERHEAD_BYTES;
