/**
 * The outbox's books: the compact index of pending and quarantined slices with the figures kept as it
 * changes — bytes used, slices pending per stream, keys claimed for sending. BaseOutbox changes the index
 * only through here, so the figures never drift from it.
 */
import { keyString, type SliceKey } from "../types.js";
import { SliceIndex } from "./slice-index.js";
import type { SliceMeta } from "./types.js";

/** What `summary()` says of one stream's slices, without making a record per slice. */
export interface OutboxSummary {
  pendingSlices: number;
  pendingBytes: number;
  pendingPoints: number;
  quarantinedSlices: number;
  corruptSlices: number;
  /** createdAt of the oldest pending slice (ms epoch), if any. */
  oldestPendingAt: number | undefined;
}

export class Ledger {
  readonly index = new SliceIndex();
  #usedBytes = 0;
  /** Slices not quarantined, per stream (flush, finalize and progress ask often). */
  #pending = new Map<string, number>();
  /** Keys claimed for sending right now (key → dataId): never evicted by "drop-oldest" (they may already be on the server). */
  #claimed = new Map<string, string>();

  get usedBytes(): number {
    return this.#usedBytes;
  }

  pendingCount(dataId: string): number {
    return this.#pending.get(dataId) ?? 0;
  }

  #count(meta: SliceMeta, delta: 1 | -1): void {
    if (meta.quarantined) return;
    const n = (this.#pending.get(meta.dataId) ?? 0) + delta;
    if (n > 0) this.#pending.set(meta.dataId, n);
    else this.#pending.delete(meta.dataId);
  }

  /** Index a slice as the newest put (a new key, or a key put again). */
  append(meta: SliceMeta): void {
    const old = this.index.append(meta);
    if (old) {
      this.#count(old, -1);
      this.#usedBytes -= old.bytes;
    }
    this.#count(meta, 1);
    this.#usedBytes += meta.bytes;
  }

  /** Take a key out of the index. */
  delete(key: SliceKey): SliceMeta | undefined {
    const meta = this.index.delete(key);
    if (meta) {
      this.#count(meta, -1);
      this.#usedBytes -= meta.bytes;
    }
    return meta;
  }

  /** Change a key's entry in place (quarantine, another writer's version). */
  replace(current: SliceMeta, next: SliceMeta): void {
    this.index.replace(next);
    this.#count(current, -1);
    this.#count(next, 1);
    this.#usedBytes += next.bytes - current.bytes;
  }

  /** Claim keys not claimed yet; returns those claimed now (each key once). */
  claim(metas: SliceMeta[]): SliceMeta[] {
    const now: SliceMeta[] = [];
    for (const m of metas) {
      const k = keyString(m);
      if (this.#claimed.has(k)) continue;
      this.#claimed.set(k, m.dataId);
      now.push(m);
    }
    return now;
  }

  unclaim(metas: SliceMeta[]): void {
    for (const m of metas) this.#claimed.delete(keyString(m));
  }

  isClaimed(key: SliceKey): boolean {
    return this.#claimed.has(keyString(key));
  }

  claimedCount(dataId?: string): number {
    if (dataId === undefined) return this.#claimed.size;
    let n = 0;
    for (const id of this.#claimed.values()) if (id === dataId) n++;
    return n;
  }

  summary(dataId: string, corruptSlices: number): OutboxSummary {
    const out: OutboxSummary = { pendingSlices: 0, pendingBytes: 0, pendingPoints: 0, quarantinedSlices: 0, corruptSlices, oldestPendingAt: undefined };
    for (const m of this.index.ofStream(dataId)) {
      if (m.quarantined) {
        out.quarantinedSlices++;
        continue;
      }
      out.pendingSlices++;
      out.pendingBytes += m.bytes;
      out.pendingPoints += m.points;
      if (out.oldestPendingAt === undefined || m.createdAt < out.oldestPendingAt) out.oldestPendingAt = m.createdAt;
    }
    return out;
  }
}
