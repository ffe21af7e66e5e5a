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
 * request, named after its stream and chunk index; web-locks.ts), deletes and quarantines apply only to
 * the version they name, and a read returns whatever version is stored.
 *
 * Its parts: the connection (indexeddb-connection.ts), the records — a `put`'s slices and states written
 * in one strict transaction, a request's slices read in one (indexeddb-records.ts) — the deletes of
 * acknowledged versions, gathered, relaxed and not waited for (indexeddb-deletes.ts), the send cache of
 * slices it put (indexeddb-send-cache.ts) with the peers that decide when it may serve
 * (indexeddb-peers.ts), the schema and its upgrades
 * (indexeddb-schema.ts), usage, quota and persistence (storage-estimate.ts).
 */
import type { SliceKey } from "../types.js";
import { capacityForFreeSpace } from "./capacity.js";
import { IndexedDbConnection } from "./indexeddb-connection.js";
import { IndexedDbDeletes } from "./indexeddb-deletes.js";
import { IndexedDbPeers } from "./indexeddb-peers.js";
import { IndexedDbRecords } from "./indexeddb-records.js";
import { requireIndexedDb } from "./indexeddb-schema.js";
import { SEND_CACHE_BYTES, SendCache } from "./indexeddb-send-cache.js";
import { StorageEstimate } from "./storage-estimate.js";
import { claimWithWebLocks } from "./web-locks.js";
import { BaseOutbox, type Claim, type OutboxOptions, type OutboxStorage, type SliceMeta } from "./outbox.js";

export { INDEXEDDB_SCHEMA_VERSION } from "./indexeddb-schema.js";
export type { IndexedDbOutboxSchema, StoredCorruptSlice, StoredPoints } from "./indexeddb-schema.js";
export { OutboxQuotaError } from "./outbox-quota-error.js";
export type { OutboxQuotaDetails } from "./outbox-quota-error.js";

/** The database name when none is given. */
export const DEFAULT_INDEXEDDB_NAME = "atomscale-stream";

export interface IndexedDbOutboxOptions extends OutboxOptions {
  /** The IndexedDB database name; tabs using the same name share the pending slices. @default "atomscale-stream" */
  name?: string;
  /**
   * Memory for the slices this outbox put until they are sent (indexeddb-send-cache.ts): while the outbox
   * is alone on its database, the uploader reads them from here instead of from IndexedDB. The oldest
   * leave first; 0 turns it off. @default 1 MiB (1 048 576)
   */
  sendCacheBytes?: number;
}

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
  readonly #origin = new StorageEstimate();

  constructor(options: IndexedDbOutboxOptions = {}) {
    requireIndexedDb("IndexedDbOutbox");
    super(options);
    this.name = options.name ?? DEFAULT_INDEXEDDB_NAME;
    if (typeof this.name !== "string" || this.name === "") throw new TypeError(`IndexedDbOutbox: name must be a non-empty string, got ${JSON.stringify(options.name)}.`);
    const cacheBytes = options.sendCacheBytes ?? SEND_CACHE_BYTES;
    if (!(cacheBytes >= 0)) throw new RangeError(`IndexedDbOutbox: sendCacheBytes must be a number of bytes ≥ 0, got ${options.sendCacheBytes}.`);
    const connection = new IndexedDbConnection(this.name);
    const records = new IndexedDbRecords({ connection, origin: this.#origin, pending: () => ({ slices: this.slices().length, bytes: this.usedBytes }) });
    const deletes = new IndexedDbDeletes(connection);
    const cache = new SendCache(cacheBytes);
    // Another outbox on the database may put newer versions of our keys: from then on, read from IndexedDB only.
    const peers = new IndexedDbPeers(this.name, () => cache.clear());
    const readMany = (metas: SliceMeta[]) => (peers.alone ? cache.readMany(metas, (m) => records.readMany(m)) : records.readMany(metas));
    this.storage = {
      load: () => {
        if (cacheBytes > 0) peers.start();
        return records.load();
      },
      write: async (slices, streams) => {
        try {
          await records.write(slices, streams);
        } catch (error) {
          deletes.flush(); // deletes waiting free space: a refused put must not wait for them
          throw error;
        }
        if (!peers.shared) cache.add(slices); // used once the outbox knows it is alone
      },
      read: async (meta) => {
        const [read] = await readMany([meta]);
        if (read!.status === "rejected") throw read!.reason;
        return read!.value;
      },
      readMany,
      delete: (metas) => {
        cache.forget(metas);
        return deletes.delete(metas);
      },
      updateMeta: (meta) => {
        cache.forget([meta]);
        return records.updateMeta(meta);
      },
      setAside: (slice) => {
        cache.forget([slice]);
        return records.setAside(slice);
      },
      writeStream: (state) => records.writeStream(state),
      deleteStreams: (dataIds) => records.deleteStreams(dataIds),
      close: async () => {
        peers.close();
        cache.clear();
        await deletes.settled();
        await connection.close();
      },
    };
  }

  /** Half of what this origin may still store (at least a weekend of 10 Hz × 16 channels when it has room). */
  protected override async defaultCapacityBytes(): Promise<number | undefined> {
    await this.#origin.estimate(true);
    const { usage, quota } = this.#origin.info;
    return quota === undefined ? undefined : capacityForFreeSpace(quota - (usage ?? 0), "indexeddb");
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
