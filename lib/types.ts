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

/**
 * A record keyed by channel name that any name is safe in (`__proto__`, `constructor` …): no prototype,
 * so nothing is inherited and assigning any key defines an own property.
 */
export function channelRecord<T>(entries?: Iterable<readonly [string, T]>): Record<string, T> {
  const record = Object.create(null) as Record<string, T>;
  if (entries) for (const [k, v] of entries) record[k] = v;
  return record;
}

/** A channel's entry of a record only if it is the record's own (never an inherited `constructor`). */
export function ownEntry<T>(record: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return record !== undefined && Object.prototype.hasOwnProperty.call(record, key) ? record[key] : undefined;
}
