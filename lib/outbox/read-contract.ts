/**
 * The outbox's read contract (design §2), behind BaseOutbox's `read` and `readAll`: storage errors are
 * errors. A read the storage could not do now rejects with a transient OutboxReadError and the slice
 * stays pending; a damaged record, or one gone while pending from a store nobody else writes, is set
 * aside as corrupt (kept by the storage, listed, reported, no longer pending) and rejects with a
 * CorruptSliceError; a record another writer sharing the store acknowledged or replaced is taken as such.
 */
import { keyString, type SliceKey } from "../types.js";
import { CorruptSliceError, OutboxReadError } from "./errors.js";
import type { Ledger } from "./ledger.js";
import type { CorruptInfo, CorruptSlice, OutboxEvent, OutboxStorage, SliceMeta, StoredSlice } from "./types.js";

/** What the read contract needs of its outbox (BaseOutbox's private parts, lent). */
export interface ReadHost {
  storage(): OutboxStorage;
  /** True when other writers share the store (see BaseOutbox.sharedStore). */
  sharedStore(): boolean;
  readonly ledger: Ledger;
  /** Runs `fn` in the outbox's write order. */
  serial<T>(fn: () => Promise<T>): Promise<T>;
  /** Space was freed: wake writers waiting for it. */
  released(): void;
  emit(event: OutboxEvent): void;
  /** Record a slice set aside (listed by `corruptSlices()`). */
  keepCorrupt(slice: CorruptSlice): void;
}

/** The key a corrupt slice is listed under: one entry per key, version and place it is kept. */
export function corruptKey(c: CorruptSlice): string {
  return `${keyString(c)}\u0000${c.version}\u0000${c.corrupt?.keptAt ?? ""}`;
}

export class ReadContract {
  readonly #host: ReadHost;

  constructor(host: ReadHost) {
    this.#host = host;
  }

  /** BaseOutbox.read, once the outbox is open. */
  async read(key: SliceKey): Promise<StoredSlice | undefined> {
    const meta = this.#host.ledger.index.get(key);
    if (!meta) return undefined;
    let stored: StoredSlice | undefined;
    try {
      stored = await this.#host.storage().read(meta);
    } catch (error) {
      throw await this.#failed(meta, error);
    }
    return this.#done(key, meta, stored);
  }

  /** BaseOutbox.readAll, once the outbox is open; `readOne` reads a key alone where the storage reads one at a time. */
  readAll(keys: SliceKey[], readOne: (key: SliceKey) => Promise<StoredSlice | undefined>): Promise<Array<PromiseSettledResult<StoredSlice | undefined>>> {
    const storage = this.#host.storage();
    if (!storage.readMany || keys.length < 2) return Promise.allSettled(keys.map(readOne));
    return this.#readMany(storage, keys);
  }

  async #readMany(storage: OutboxStorage, keys: SliceKey[]): Promise<Array<PromiseSettledResult<StoredSlice | undefined>>> {
    const metas = keys.map((k) => this.#host.ledger.index.get(k));
    const present = metas.filter((m): m is SliceMeta => m !== undefined);
    let reads: Array<PromiseSettledResult<StoredSlice | undefined>>;
    try {
      reads = await storage.readMany!(present);
    } catch (error) {
      reads = present.map(() => ({ status: "rejected", reason: error }));
    }
    // The common case settles here, without a promise per key: the record read is the version pending.
    const out: Array<PromiseSettledResult<StoredSlice | undefined> | undefined> = [];
    const slow: Array<Promise<void>> = [];
    let i = 0;
    keys.forEach((key, k) => {
      const meta = metas[k];
      if (!meta) {
        out[k] = { status: "fulfilled", value: undefined };
        return;
      }
      const r = reads[i++]!;
      if (r.status === "fulfilled" && r.value && r.value.version === meta.version) {
        out[k] = { status: "fulfilled", value: this.#current(key, r.value) };
        return;
      }
      out[k] = undefined;
      slow.push(
        (async () => {
          if (r.status === "rejected") throw await this.#failed(meta, r.reason);
          return this.#done(key, meta, r.value);
        })().then(
          (value) => void (out[k] = { status: "fulfilled", value }),
          (reason: unknown) => void (out[k] = { status: "rejected", reason }),
        ),
      );
    });
    if (slow.length > 0) await Promise.all(slow);
    return out as Array<PromiseSettledResult<StoredSlice | undefined>>;
  }

  /**
   * The record read at the version pending, with the index's quarantine (it may have changed while the
   * storage read). The record itself when that changes nothing (no copy per slice).
   */
  #current(key: SliceKey, stored: StoredSlice): StoredSlice {
    const quarantined = this.#host.ledger.index.get(key)?.quarantined ?? stored.quarantined;
    return quarantined === stored.quarantined ? stored : { ...stored, quarantined };
  }

  /** A storage read that threw: damage is set aside (CorruptSliceError), anything else is an OutboxReadError. */
  async #failed(meta: SliceMeta, error: unknown): Promise<Error> {
    if (error instanceof CorruptSliceError) return this.#setAside(meta, error.corrupt, error);
    if (error instanceof OutboxReadError) return error;
    return new OutboxReadError(meta, { cause: error });
  }

  /** What a storage read found, checked against the index (the read contract above). */
  async #done(key: SliceKey, meta: SliceMeta, stored: StoredSlice | undefined): Promise<StoredSlice | undefined> {
    const { ledger } = this.#host;
    if (stored && stored.version === meta.version) return this.#current(key, stored);
    if (stored) {
      // Another writer sharing the store put a different version: that one is what is pending now.
      await this.#host.serial(async () => {
        const current = ledger.index.get(key);
        if (current && current.version !== stored.version) {
          const { timestamps: _t, values: _v, units: _u, ...fresh } = stored;
          ledger.replace(current, fresh);
        }
      });
      return stored;
    }
    const stillPending = await this.#host.serial(async () => {
      const current = ledger.index.get(key);
      if (current?.version !== meta.version) return false; // acknowledged or superseded while we read
      if (!this.#host.sharedStore()) return true;
      // Acknowledged by another writer sharing the store.
      ledger.delete(key);
      this.#host.released();
      return false;
    });
    if (!stillPending) return undefined;
    throw await this.#setAside(meta, { reason: "missing", message: "the record is gone from storage while the outbox holds it as pending", at: Date.now() });
  }

  /**
   * Set a damaged slice aside: kept by the storage, listed, no longer pending or counted, reported.
   * Returns the error to reject the read with.
   */
  #setAside(meta: SliceMeta, info: CorruptInfo, cause?: CorruptSliceError): Promise<OutboxReadError> {
    const host = this.#host;
    return host.serial(async () => {
      const current = host.ledger.index.get(meta);
      if (current?.version !== meta.version) {
        // Superseded or acknowledged while we read: the damaged version is no longer the pending one.
        return new OutboxReadError(meta, { cause: cause ?? new Error(info.message), message: `Slice ${JSON.stringify(meta.channel)} #${meta.chunkIndex} of stream ${meta.dataId} changed while it was read; read it again.` });
      }
      const slice: CorruptSlice = { ...current, corrupt: info };
      try {
        const keptAt = await host.storage().setAside?.(slice);
        if (keptAt !== undefined) slice.corrupt = { ...info, keptAt };
      } catch (error) {
        // It could not even be moved aside: leave it pending and let the read be tried again.
        return new OutboxReadError(meta, { cause: error });
      }
      host.ledger.delete(meta);
      host.keepCorrupt(slice);
      host.released();
      host.emit({ type: "corrupt", slices: [slice] });
      host.emit({ type: "change" });
      return new CorruptSliceError(meta, slice.corrupt, cause ? { cause } : {});
    });
  }
}
