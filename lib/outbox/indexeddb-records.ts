/**
 * IndexedDbOutbox's records: the storage primitives BaseOutbox calls (design §2), over the stores of
 * indexeddb-schema.ts. A put's slices and stream states are written in one strict transaction (on disk
 * when it completes), a request's slices are read in one transaction, a damaged slice is moved to the
 * `corrupt` store with whatever was left of it. Deletes: indexeddb-deletes.ts.
 */
import { CorruptSliceError, OutboxReadError } from "./errors.js";
import type { IndexedDbConnection } from "./indexeddb-connection.js";
import { metaOf, pointsOf, tuple, type StoredCorruptSlice, type StoredPoints } from "./indexeddb-schema.js";
import { isQuotaError, OutboxQuotaError } from "./outbox-quota-error.js";
import type { StorageEstimate } from "./storage-estimate.js";
import type { CorruptSlice, SliceMeta, StoredSlice, StreamState } from "./types.js";

/** IndexedDB failures that may pass when tried again (the transaction, not the record, failed). Others are damage. */
const DAMAGE_ERRORS = new Set(["DataError", "DataCloneError", "NotReadableError", "SyntaxError"]);

export interface IndexedDbRecordsOptions {
  connection: IndexedDbConnection;
  origin: StorageEstimate;
  /** What the outbox holds now, for an OutboxQuotaError's details. */
  pending(): { slices: number; bytes: number };
}

export class IndexedDbRecords {
  readonly #connection: IndexedDbConnection;
  readonly #origin: StorageEstimate;
  readonly #pending: () => { slices: number; bytes: number };

  constructor(options: IndexedDbRecordsOptions) {
    this.#connection = options.connection;
    this.#origin = options.origin;
    this.#pending = options.pending;
  }

  get #name(): string {
    return this.#connection.name;
  }

  async load(): Promise<{ slices: SliceMeta[]; streams: StreamState[]; corrupt: CorruptSlice[] }> {
    const tx = await this.#connection.transaction(["slices", "streams", "corrupt"], "readonly");
    const [slices, streams, corrupt] = await Promise.all([tx.objectStore("slices").getAll(), tx.objectStore("streams").getAll(), tx.objectStore("corrupt").getAll(), tx.done]);
    this.#origin.requestPersistence();
    await this.#origin.estimate(true);
    // The index is kept in put order; versions grow with every put.
    slices.sort((a, b) => a.version - b.version);
    return { slices, streams, corrupt: corrupt.map(({ leftPoints: _l, ...c }) => c) };
  }

  /** Slices (metadata and points) and stream states in one strict transaction: on disk when it resolves. */
  async write(slices: StoredSlice[], streams: StreamState[]): Promise<void> {
    const tx = await this.#connection.transaction(["slices", "points", "streams"], "readwrite");
    try {
      const writes: Promise<unknown>[] = [];
      for (const s of slices) {
        writes.push(tx.objectStore("slices").put(metaOf(s)));
        writes.push(tx.objectStore("points").put(pointsOf(s), tuple(s)));
      }
      for (const st of streams) writes.push(tx.objectStore("streams").put(st));
      await Promise.all([...writes, tx.done]);
    } catch (error) {
      throw await this.#quotaOr(error, tx.error, slices);
    }
    void this.#origin.estimate(false);
  }

  /**
   * The stored slice. Its own version when the store holds another one than the index names (a tab
   * sharing the database wrote it); undefined when the store has none.
   */
  async read(meta: SliceMeta): Promise<StoredSlice | undefined> {
    const [read] = await this.readMany([meta]);
    if (read!.status === "rejected") throw read!.reason;
    return read!.value;
  }

  /**
   * Several slices in one read transaction, settled per slice (a failed transaction fails each). The
   * points are read first; the metadata only when they are missing or of another version than the index's.
   */
  async readMany(metas: SliceMeta[]): Promise<Array<PromiseSettledResult<StoredSlice | undefined>>> {
    let records: Array<[SliceMeta | undefined, StoredPoints | undefined]>;
    try {
      const tx = await this.#connection.transaction(["slices", "points"], "readonly");
      const slices = tx.objectStore("slices");
      const points = tx.objectStore("points");
      const reads = metas.map(async (m): Promise<[SliceMeta | undefined, StoredPoints | undefined]> => {
        const key = tuple(m);
        const stored = await points.get(key);
        if (stored?.version === m.version) return [m, stored];
        return [await slices.get(key), stored];
      });
      [records] = await Promise.all([Promise.all(reads), tx.done]);
    } catch (error) {
      const name = (error as { name?: unknown } | null)?.name;
      const damage = typeof name === "string" && DAMAGE_ERRORS.has(name);
      return metas.map((meta) => ({
        status: "rejected",
        reason: damage
          ? new CorruptSliceError(meta, { reason: "unparsable", message: `IndexedDB could not read the record (${name}: ${(error as Error).message})`, at: Date.now() }, { cause: error })
          : new OutboxReadError(meta, { cause: error }),
      }));
    }
    return metas.map((meta, i) => {
      try {
        return { status: "fulfilled", value: this.#slice(meta, ...records[i]!) };
      } catch (reason) {
        return { status: "rejected", reason };
      }
    });
  }

  /** A slice from its two records, or a CorruptSliceError when they do not make one. */
  #slice(meta: SliceMeta, storedMeta: SliceMeta | undefined, points: StoredPoints | undefined): StoredSlice | undefined {
    if (!points) {
      if (!storedMeta) return undefined; // both gone: acknowledged (by another tab)
      throw new CorruptSliceError(meta, { reason: "invalid", message: `the slice's record in IndexedDB "${this.#name}" has no points`, at: Date.now() });
    }
    const { version, timestamps, values, units } = points;
    if (!Array.isArray(timestamps) || !Array.isArray(values) || timestamps.length !== values.length || !Number.isSafeInteger(version)) {
      throw new CorruptSliceError(meta, { reason: "invalid", message: `the slice's points in IndexedDB "${this.#name}" do not pair up`, at: Date.now() });
    }
    const base = version === meta.version ? meta : storedMeta?.version === version ? storedMeta : { ...meta, version };
    return { ...base, version, timestamps, values, ...(units !== undefined ? { units } : {}) };
  }

  /** Move a damaged slice to the `corrupt` store, with whatever points were left, if it is still the version named. */
  async setAside(slice: CorruptSlice): Promise<string | undefined> {
    const tx = await this.#connection.transaction(["slices", "points", "corrupt"], "readwrite");
    const key = tuple(slice);
    const work = (async () => {
      const [storedMeta, storedPoints] = await Promise.all([tx.objectStore("slices").get(key), tx.objectStore("points").get(key).catch(() => undefined)]);
      const record: StoredCorruptSlice = { ...slice, ...(storedPoints !== undefined ? { leftPoints: storedPoints } : {}) };
      await tx.objectStore("corrupt").put(record);
      if (storedMeta?.version === slice.version) {
        await tx.objectStore("slices").delete(key);
        await tx.objectStore("points").delete(key);
      }
    })();
    await Promise.all([work, tx.done]);
    return `IndexedDB "${this.#name}", store "corrupt"`;
  }

  async deleteStreams(dataIds: string[]): Promise<void> {
    const tx = await this.#connection.transaction(["streams"], "readwrite");
    await Promise.all([...dataIds.map((id) => tx.objectStore("streams").delete(id)), tx.done]);
  }

  /** Persist a changed meta (quarantine) of the version stored; a newer stored version is left alone. */
  async updateMeta(meta: SliceMeta): Promise<void> {
    const tx = await this.#connection.transaction(["slices"], "readwrite");
    const store = tx.objectStore("slices");
    const work = (async () => {
      const stored = await store.get(tuple(meta));
      if (stored?.version === meta.version) await store.put(meta);
    })();
    await Promise.all([work, tx.done]);
  }

  async writeStream(state: StreamState): Promise<void> {
    const tx = await this.#connection.transaction(["streams"], "readwrite");
    try {
      await Promise.all([tx.objectStore("streams").put(state), tx.done]);
    } catch (error) {
      throw await this.#quotaOr(error, tx.error, []);
    }
  }

  /**
   * A refused write: the browser's quota refusal (it may surface on a request, or as the transaction's
   * error when the commit aborts) becomes an OutboxQuotaError; anything else is returned as it is.
   */
  async #quotaOr(error: unknown, txError: DOMException | null, slices: StoredSlice[]): Promise<unknown> {
    const quota = isQuotaError(error) ? error : isQuotaError(txError) ? txError : undefined;
    if (quota === undefined) return error;
    await this.#origin.estimate(true);
    const pending = this.#pending();
    return new OutboxQuotaError(
      {
        refused: slices.map(({ dataId, channel, chunkIndex }) => ({ dataId, channel, chunkIndex })),
        refusedPoints: slices.reduce((n, s) => n + s.values.length, 0),
        pendingSlices: pending.slices,
        pendingBytes: pending.bytes,
        usage: this.#origin.info.usage,
        quota: this.#origin.info.quota,
      },
      { cause: quota },
    );
  }
}
