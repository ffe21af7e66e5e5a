/**
 * The outbox's index seen as a `ReadonlyMap` keyed by `keyString` (SliceIndexView), for callers that
 * scan a map; and `parseKeyString`, which turns such a key back into its parts.
 */
import { keyString, type SliceKey } from "../types.js";
import type { SliceIndex } from "./slice-index.js";
import type { SliceMeta } from "./types.js";

/** Parse a `keyString` back into its key (channel names never hold NUL: they are refused up front). */
export function parseKeyString(k: string): SliceKey | undefined {
  const a = k.indexOf("\u0000");
  const b = k.lastIndexOf("\u0000");
  if (a < 0 || b <= a) return undefined;
  const chunkIndex = Number(k.slice(b + 1));
  return Number.isSafeInteger(chunkIndex) ? { dataId: k.slice(0, a), channel: k.slice(a + 1, b), chunkIndex } : undefined;
}

/** A live view of the index as a `ReadonlyMap` keyed by `keyString` (the uploader's scans). */
export class SliceIndexView implements ReadonlyMap<string, SliceMeta> {
  constructor(readonly index: SliceIndex) {}
  get size(): number {
    return this.index.size;
  }
  get(k: string): SliceMeta | undefined {
    const key = parseKeyString(k);
    return key ? this.index.get(key) : undefined;
  }
  has(k: string): boolean {
    const key = parseKeyString(k);
    return key ? this.index.has(key) : false;
  }
  *entries(): MapIterator<[string, SliceMeta]> {
    for (const m of this.index.oldestFirst()) yield [keyString(m), m];
  }
  *keys(): MapIterator<string> {
    for (const m of this.index.oldestFirst()) yield keyString(m);
  }
  *values(): MapIterator<SliceMeta> {
    yield* this.index.oldestFirst();
  }
  forEach(fn: (value: SliceMeta, key: string, map: ReadonlyMap<string, SliceMeta>) => void, thisArg?: unknown): void {
    for (const [k, m] of this.entries()) fn.call(thisArg, m, k, this);
  }
  [Symbol.iterator](): MapIterator<[string, SliceMeta]> {
    return this.entries();
  }
}
