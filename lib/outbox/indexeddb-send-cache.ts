/**
 * IndexedDbOutbox's send cache: the slices this outbox put, kept in memory from the put until they are
 * sent and acknowledged, so that the uploader's read of a request (`readAll`) needs no IndexedDB
 * transaction. Bounded: past {@link SEND_CACHE_BYTES} (or the `sendCacheBytes` option) the oldest puts
 * leave it and are read from IndexedDB when their turn comes — an outage longer than a few seconds
 * costs no memory here. IndexedDB stays the truth: the cache holds only versions whose put committed,
 * serves one only while the outbox is alone on its database (indexeddb-peers.ts) and only for the
 * version the index names; after a reload everything is read from the database.
 */
import { keyString } from "../types.js";
import type { SliceMeta, StoredSlice } from "./types.js";

/** The send cache's budget when none is given: 1 MiB of slices as the outbox counts bytes (about 600 slices of 100 points, 75 requests of 8). */
export const SEND_CACHE_BYTES = 1024 * 1024;

export class SendCache {
  readonly budgetBytes: number;
  /** Oldest put first (a key put again moves to the end). */
  readonly #slices = new Map<string, StoredSlice>();
  #bytes = 0;

  constructor(budgetBytes: number) {
    this.budgetBytes = budgetBytes;
  }

  /** Slices and bytes held now. */
  get size(): number {
    return this.#slices.size;
  }
  get bytes(): number {
    return this.#bytes;
  }

  /** Keep slices whose put committed; the oldest leave past the budget. */
  add(slices: StoredSlice[]): void {
    if (this.budgetBytes <= 0) return;
    for (const s of slices) {
      const key = keyString(s);
      this.#remove(key);
      this.#slices.set(key, s);
      this.#bytes += s.bytes;
    }
    for (const [key] of this.#slices) {
      if (this.#bytes <= this.budgetBytes) break;
      this.#remove(key);
    }
  }

  /** The slice at exactly this version, if held. */
  get(meta: SliceMeta): StoredSlice | undefined {
    const s = this.#slices.get(keyString(meta));
    return s !== undefined && s.version === meta.version ? s : undefined;
  }

  /**
   * `readMany` of the slices held at the version asked for, without a transaction; the others through
   * `readStored` (one transaction), settled per slice in the order given.
   */
  async readMany(
    metas: SliceMeta[],
    readStored: (metas: SliceMeta[]) => Promise<Array<PromiseSettledResult<StoredSlice | undefined>>>,
  ): Promise<Array<PromiseSettledResult<StoredSlice | undefined>>> {
    const held = this.#slices.size > 0 ? metas.map((m) => this.get(m)) : [];
    const missing = metas.filter((_, i) => held[i] === undefined);
    const stored = missing.length > 0 ? await readStored(missing) : [];
    let next = 0;
    return metas.map((_, i) => {
      const value = held[i];
      return value !== undefined ? { status: "fulfilled", value } : stored[next++]!;
    });
  }

  /** Let go of these versions (acknowledged, removed, set aside, quarantined); a newer version held stays. */
  forget(metas: ReadonlyArray<SliceMeta>): void {
    for (const m of metas) {
      const key = keyString(m);
      if (this.#slices.get(key)?.version === m.version) this.#remove(key);
    }
  }

  clear(): void {
    this.#slices.clear();
    this.#bytes = 0;
  }

  #remove(key: string): void {
    const s = this.#slices.get(key);
    if (s === undefined) return;
    this.#slices.delete(key);
    this.#bytes -= s.bytes;
  }
}
