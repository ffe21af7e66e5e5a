/**
 * IndexedDbOutbox: pending slices in the browser's IndexedDB (through `idb`), so a network outage, a
 * server error, a reload or a closed tab loses nothing (design §2, §3.1, §3.6). Browsers only.
 *
 * Layout (schema version 3): `slices` holds each slice's metadata only (start-up reads the index
 * without a single point), `points` holds its points under the same key `[dataId, channel, chunkIndex]`,
 * `streams` holds each stream's state (whole; pruned some time after the stream is finalized),
 * `corrupt` holds slices found damaged, set aside with what was left of them, keyed
 * `[dataId, channel, chunkIndex, version]`. Every upgrade moves data, never drops it.
 *
 * Tabs of one origin may share a database: sends are claimed with Web Locks (`claim`: one lock per
 * request, named after its stream and chunk index; web-locks.ts), deletes and quarantines apply only to the version
 * they name, and a read returns whatever version is stored. A request's slices are read in one
 * transaction (`readAll`), a `put`'s written in one. Usage, quota and persistence: storage-estimate.ts.
 */
import { openDB, type IDBPDatabase, type IDBPTransaction, type StoreNames } from "idb";
import type { SliceKey } from "../types.js";
import { capacityForFreeSpace } from "./capacity.js";
import { CorruptSliceError, OutboxReadError } from "./errors.js";
import {
  INDEXEDDB_SCHEMA_VERSION,
  metaOf,
  pointsOf,
  requireIndexedDb,
  tuple,
  upgrade,
  type IndexedDbOutboxSchema,
  type StoredCorruptSlice,
  type StoredPoints,
  type UpgradeTx,
} from "./indexeddb-schema.js";
import { isQuotaError, OutboxQuotaError } from "./outbox-quota-error.js";
import { StorageEstimate } from "./storage-estimate.js";
import { claimWithWebLocks } from "./web-locks.js";
import {
  BaseOutbox,
  type Claim,
  type CorruptSlice,
  type OutboxOptions,
  type OutboxStorage,
  type SliceMeta,
  type StoredSlice,
  type StreamState,
} from "./outbox.js";

export { INDEXEDDB_SCHEMA_VERSION } from "./indexeddb-schema.js";
export type { IndexedDbOutboxSchema, StoredCorruptSlice, StoredPoints } from "./indexeddb-schema.js";
export { OutboxQuotaError } from "./outbox-quota-error.js";
export type { OutboxQuotaDetails } from "./outbox-quota-error.js";

/** The database name when none is given. */
export const DEFAULT_INDEXEDDB_NAME = "atomscale-stream";

export interface IndexedDbOutboxOptions extends OutboxOptions {
  /** The IndexedDB database name; tabs using the same name share the pending slices. @default "atomscale-stream" */
  name?: string;
}

type Db = IDBPDatabase<IndexedDbOutboxSchema>;
const ALL_STORES: StoreNames<IndexedDbOutboxSchema>[] = ["slices", "points", "streams"];

/** IndexedDB failures that may pass when tried again (the transaction, not the record, failed). Others are damage. */
const DAMAGE_ERRORS = new Set(["DataError", "DataCloneError", "NotReadableError", "SyntaxError"]);

/**
 * Pending slices in IndexedDB: they survive reloads, closed tabs and restarts of the browser.
 *
 * @example
 * const streamer = new TimeseriesStreamer({ apiKey, outbox: new IndexedDbOutbox({ name: "furnace-3" }) });
 * // after a reload, a new streamer on the same database uploads what was left, by itself
 */
export class IndexedDbOutbox extends BaseOutbox {
  readonly kind = "indexeddb";
  readonly durable = true;
  /** Tabs of one origin share the database: a record gone from it was acknowledged by another tab. */
  protected override readonly sharedStore = true;
  /** The IndexedDB database name. */
  readonly name: string;
  protected readonly storage: OutboxStorage;
  #db: Promise<Db> | undefined;
  #closed = false;
  readonly #origin = new StorageEstimate();

  constructor(options: IndexedDbOutboxOptions = {}) {
    requireIndexedDb("IndexedDbOutbox");
    super(options);
    this.name = options.name ?? DEFAULT_INDEXEDDB_NAME;
    if (typeof this.name !== "string" || this.name === "") throw new TypeError(`IndexedDbOutbox: name must be a non-empty string, got ${JSON.stringify(options.name)}.`);
    this.storage = {
      load: () => this.#load(),
      write: (slices, streams) => this.#write(slices, streams),
      read: (meta) => this.#read(meta),
      readMany: (metas) => this.#readMany(metas),
      delete: (metas) => this.#delete(metas),
      updateMeta: (meta) => this.#updateMeta(meta),
      setAside: (slice) => this.#setAside(slice),
      writeStream: (state) => this.#writeStream(state),
      deleteStreams: (dataIds) => this.#deleteStreams(dataIds),
      close: async () => {
        this.#closed = true;
        const db = this.#db;
        this.#db = undefined;
        if (db) (await db.catch(() => undefined))?.close();
      },
    };
  }

  /** The open connection; re-opened lazily if the browser closed it or another tab needed it closed. */
  #connection(): Promise<Db> {
    if (this.#closed) return Promise.reject(new Error(`IndexedDbOutbox "${this.name}" is closed.`));
    if (!this.#db) {
      const opening = openDB<IndexedDbOutboxSchema>(this.name, INDEXEDDB_SCHEMA_VERSION, {
        upgrade: (db, oldVersion, _newVersion, tx) =>
          upgrade(db as unknown as IDBPDatabase<unknown>, oldVersion, tx as unknown as UpgradeTx),
        blocked: (current) =>
          console.warn(
            `atomscale-stream: IndexedDbOutbox "${this.name}" waits to upgrade its database from version ${current} to ${INDEXEDDB_SCHEMA_VERSION}: ` +
              "another tab still has it open with an older version of this library. Reload or close that tab.",
          ),
        // Another tab upgrades the database (a newer version of this library): let it, reconnect on next use.
        blocking: () => this.#drop(opening),
        terminated: () => this.#drop(opening),
      }).catch((error: unknown) => {
        if ((error as { name?: unknown } | null)?.name !== "VersionError") throw error;
        throw new Error(
          `IndexedDbOutbox "${this.name}": the database was upgraded past schema version ${INDEXEDDB_SCHEMA_VERSION} by a newer version of ` +
            "atomscale-stream (in another tab, or before a downgrade). Its pending slices are kept there; use that newer version to send them.",
          { cause: error },
        );
      });
      this.#db = opening;
      opening.catch(() => this.#drop(opening));
    }
    return this.#db;
  }

  /**
   * A transaction on the current connection (readwrite ones with strict durability: on disk when they
   * complete; `relaxed` only where losing the change in a crash is harmless). A connection closed under us (another tab upgrading the database) is replaced once.
   */
  async #transaction<Names extends StoreNames<IndexedDbOutboxSchema>[], Mode extends IDBTransactionMode>(
    names: Names,
    mode: Mode,
    durability: "strict" | "relaxed" = "strict",
  ): Promise<IDBPTransaction<IndexedDbOutboxSchema, Names, Mode>> {
    for (let attempt = 0; ; attempt++) {
      const connection = this.#connection();
      const db = await connection;
      try {
        return db.transaction(names, mode, mode === "readwrite" ? { durability } : {});
      } catch (error) {
        if (attempt > 0 || (error as { name?: unknown } | null)?.name !== "InvalidStateError") throw error;
        this.#drop(connection);
      }
    }
  }

  #drop(connection: Promise<Db>): void {
    if (this.#db !== connection) return;
    this.#db = undefined;
    connection.then((db) => db.close(), () => {});
  }

  async #load(): Promise<{ slices: SliceMeta[]; streams: StreamState[]; corrupt: CorruptSlice[] }> {
    const tx = await this.#transaction(["slices", "streams", "corrupt"], "readonly");
    const [slices, streams, corrupt] = await Promise.all([tx.objectStore("slices").getAll(), tx.objectStore("streams").getAll(), tx.objectStore("corrupt").getAll(), tx.done]);
    this.#origin.requestPersistence();
    await this.#origin.estimate(true);
    // The index is kept in put order; versions grow with every put.
    slices.sort((a, b) => a.version - b.version);
    return { slices, streams, corrupt: corrupt.map(({ leftPoints: _l, ...c }) => c) };
  }

  /** Half of what this origin may still store (at least a weekend of 10 Hz × 16 channels when it has room). */
  protected override async defaultCapacityBytes(): Promise<number | undefined> {
    await this.#origin.estimate(true);
    const { usage, quota } = this.#origin.info;
    return quota === undefined ? undefined : capacityForFreeSpace(quota - (usage ?? 0), "indexeddb");
  }

  async #write(slices: StoredSlice[], streams: StreamState[]): Promise<void> {
    const tx = await this.#transaction(ALL_STORES, "readwrite");
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
  async #read(meta: SliceMeta): Promise<StoredSlice | undefined> {
    const [read] = await this.#readMany([meta]);
    if (read!.status === "rejected") throw read!.reason;
    return read!.value;
  }

  /** Several slices in one read transaction, settled per slice (a failed transaction fails each). */
  async #readMany(metas: SliceMeta[]): Promise<Array<PromiseSettledResult<StoredSlice | undefined>>> {
    let records: Array<[SliceMeta | undefined, StoredPoints | undefined]>;
    try {
      const tx = await this.#transaction(["slices", "points"], "readonly");
      const slices = tx.objectStore("slices");
      const points = tx.objectStore("points");
      const reads = metas.map((m) => {
        const key = tuple(m);
        return Promise.all([slices.get(key), points.get(key)]);
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
      throw new CorruptSliceError(meta, { reason: "invalid", message: `the slice's record in IndexedDB "${this.name}" has no points`, at: Date.now() });
    }
    const { version, timestamps, values, units } = points;
    if (!Array.isArray(timestamps) || !Array.isArray(values) || timestamps.length !== values.length || !Number.isSafeInteger(version)) {
      throw new CorruptSliceError(meta, { reason: "invalid", message: `the slice's points in IndexedDB "${this.name}" do not pair up`, at: Date.now() });
    }
    const base = version === meta.version ? meta : storedMeta?.version === version ? storedMeta : { ...meta, version };
    return { ...base, version, timestamps, values, ...(units !== undefined ? { units } : {}) };
  }

  /** Move a damaged slice to the `corrupt` store, with whatever points were left, if it is still the version named. */
  async #setAside(slice: CorruptSlice): Promise<string | undefined> {
    const tx = await this.#transaction(["slices", "points", "corrupt"], "readwrite");
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
    return `IndexedDB "${this.name}", store "corrupt"`;
  }

  async #deleteStreams(dataIds: string[]): Promise<void> {
    const tx = await this.#transaction(["streams"], "readwrite");
    await Promise.all([...dataIds.map((id) => tx.objectStore("streams").delete(id)), tx.done]);
  }

  /**
   * Delete each key only if the stored version is the one named (checked inside the transaction).
   * Relaxed durability: a delete lost in a crash only leaves an acknowledged version pending, which is
   * sent again and replaces itself on the server (the same points at the same positions); the writes of
   * slices and stream states stay strict, and IndexedDB commits transactions in order.
   */
  async #delete(metas: SliceMeta[]): Promise<void> {
    if (metas.length === 0) return;
    const tx = await this.#transaction(["slices", "points"], "readwrite", "relaxed");
    const slices = tx.objectStore("slices");
    const points = tx.objectStore("points");
    const work = metas.map(async (m) => {
      const key = tuple(m);
      const [storedMeta, storedPoints] = await Promise.all([slices.get(key), points.get(key)]);
      if (storedMeta?.version === m.version) await slices.delete(key);
      if (storedPoints?.version === m.version) await points.delete(key);
    });
    await Promise.all([...work, tx.done]);
  }

  /** Persist a changed meta (quarantine) of the version stored; a newer stored version is left alone. */
  async #updateMeta(meta: SliceMeta): Promise<void> {
    const tx = await this.#transaction(["slices"], "readwrite");
    const store = tx.objectStore("slices");
    const work = (async () => {
      const stored = await store.get(tuple(meta));
      if (stored?.version === meta.version) await store.put(meta);
    })();
    await Promise.all([work, tx.done]);
  }

  async #writeStream(state: StreamState): Promise<void> {
    const tx = await this.#transaction(["streams"], "readwrite");
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
    return new OutboxQuotaError(
      {
        refused: slices.map(({ dataId, channel, chunkIndex }) => ({ dataId, channel, chunkIndex })),
        refusedPoints: slices.reduce((n, s) => n + s.values.length, 0),
        pendingSlices: this.slices().length,
        pendingBytes: this.usedBytes,
        usage: this.#origin.info.usage,
        quota: this.#origin.info.quota,
      },
      { cause: quota },
    );
  }

  /** `{ usage, quota, persisted }` of this origin's storage, as last reported by the browser. */
  override storageInfo(): { usage?: number; quota?: number; persisted?: boolean } | undefined {
    return { ...this.#origin.info };
  }

  /** The Web Lock name claiming one request's slices (a stream's chunk index) of this database for sending. */
  lockName(key: Pick<SliceKey, "dataId" | "chunkIndex">): string {
    return `atomscale-stream:${this.name}:${key.dataId}/${key.chunkIndex}`;
  }

  /**
   * Claim slices with Web Locks (web-locks.ts), one per (stream, chunk index) — one per request —
   * taken `ifAvailable`. Without Web Locks, everything is claimed.
   */
  protected override async claimShared(metas: SliceMeta[]): Promise<Claim> {
    const locks = typeof navigator !== "undefined" ? navigator.locks : undefined;
    if (!locks || typeof locks.request !== "function" || metas.length === 0) return super.claimShared(metas);
    return claimWithWebLocks(locks, metas, (m) => this.lockName(m));
  }
}
