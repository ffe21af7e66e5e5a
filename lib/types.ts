/** The data's units on its way through the library (design §2). */

/** One instrument reading. `t` is Unix epoch seconds (a float), stamped at acquisition. */
export interface Reading {
  channel: string;
  t: number;
  value: number;
  units?: string | undefined;
}

/**
 * One channel's points for one chunk index — the server's unit of storage and idempotency.
 * Point i sits at position `chunkIndex * pointsPerChunk + i`. A partial slice (`complete: false`)
 * is replaced on the server by the fuller one that follows with the same key.
 */
export interface Slice {
  channel: string;
  chunkIndex: number;
  timestamps: number[];
  values: number[];
  units?: string | undefined;
  complete: boolean;
}

/** Where a slice belongs: `(dataId, channel, chunkIndex)`. */
export interface SliceKey {
  dataId: string;
  channel: string;
  chunkIndex: number;
}

/** One key as a string, for maps. */
export function keyString(key: SliceKey): string {
  return `${key.dataId}\u0000${key.channel}\u0000${key.chunkIndex}`;
}

/** Epoch seconds now, at acquisition precision (design §3.7). */
export function nowSeconds(): number {
  return (performance.timeOrigin + performance.now()) / 1000;
}
