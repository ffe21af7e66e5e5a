/**
 * What the uploader sends next (design §3): freshness first, backfill behind — the chunk of the newest
 * sendable slice and that of the oldest, in turn — with the slices sharing (dataId, chunkIndex) as one
 * request in put order, cut at a byte limit; a key refused in a multi request (or one that kept failing
 * in it) travels alone. The outbox only keeps the put order (`Outbox.order`); the choice is made here.
 */
import { keyString } from "../types.js";
import type { PendingOrder, SliceMeta } from "../outbox/outbox.js";

/** One request's worth of slices: one chunk index of one stream. */
export interface ScheduledRequest {
  dataId: string;
  chunkIndex: number;
  /** In put order; never empty. */
  metas: SliceMeta[];
}

/** Largest request body to build when none is given, in estimated bytes. */
export const DEFAULT_MAX_REQUEST_BYTES = 4 * 1024 * 1024;

export class Schedule {
  /** Keys to send alone: a multi request they were in was refused or kept failing. */
  readonly solo = new Set<string>();
  readonly #maxRequestBytes: number;
  #newestNext = true;

  constructor(maxRequestBytes = DEFAULT_MAX_REQUEST_BYTES) {
    if (!(maxRequestBytes > 0)) throw new RangeError(`Schedule: maxRequestBytes must be a positive number, got ${String(maxRequestBytes)}.`);
    this.#maxRequestBytes = maxRequestBytes;
  }

  /**
   * The next request: the newest sendable slice's chunk and the oldest's, in turn. Scans stop at the
   * first sendable slice from either end, so a backlog costs nothing per pick while the ends are
   * sendable. `sendable` says whether a slice may go now (not quarantined, not claimed, not held …).
   * The turn passes only when something was found.
   */
  next(order: PendingOrder, sendable: (key: string, meta: SliceMeta) => boolean): ScheduledRequest | undefined {
    let found: SliceMeta | undefined;
    let key = "";
    for (const m of this.#newestNext ? order.newestFirst() : order.oldestFirst()) {
      const k = keyString(m);
      if (sendable(k, m)) {
        found = m;
        key = k;
        break;
      }
    }
    if (!found) return undefined;
    this.#newestNext = !this.#newestNext;
    const chosen = this.solo.has(key)
      ? [found]
      : order.chunk(found.dataId, found.chunkIndex).filter((m) => {
          const k = keyString(m);
          return !this.solo.has(k) && sendable(k, m);
        });
    const metas: SliceMeta[] = [];
    let bytes = 0;
    for (const m of chosen) {
      if (metas.length > 0 && bytes + m.bytes > this.#maxRequestBytes) break;
      metas.push(m);
      bytes += m.bytes;
    }
    return { dataId: found.dataId, chunkIndex: found.chunkIndex, metas };
  }
}
