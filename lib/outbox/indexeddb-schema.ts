/**
 * IndexedDbOutbox's database layout (idb's typed schema) and its step-wise upgrades: every upgrade
 * moves data, never drops it (design §8). Version 1: whole slices; 2: points apart from metadata;
 * 3: a store for slices set aside as damaged.
 */
import { openDB, type DBSchema, type IDBPDatabase, type IDBPTransaction } from "idb";
import type { SliceKey } from "../types.js";
import type { CorruptSlice, SliceMeta, StoredSlice, StreamState } from "./types.js";

/** The current layout of the database (see {@link IndexedDbOutboxSchema}). */
export const INDEXEDDB_SCHEMA_VERSION = 3;

export type SliceKeyTuple = [dataId: string, channel: string, chunkIndex: number];

/** A slice's points, stored apart from its metadata (schema version 2). */
export interface StoredPoints {
  version: number;
  timestamps: number[];
  values: number[];
  units?: string | undefined;
}

export type CorruptKeyTuple = [dataId: string, channel: string, chunkIndex: number, version: number];

/** A slice set aside as damaged: what the index knew of it, why, and whatever points were left. */
export interface StoredCorruptSlice extends CorruptSlice {
  leftPoints?: unknown;
}

/** Schema version 3 (current). */
export interface IndexedDbOutboxSchema extends DBSchema {
  slices: { key: SliceKeyTuple; value: SliceMeta; indexes: { "by-dataId": string } };
  points: { key: SliceKeyTuple; value: StoredPoints };
  streams: { key: string; value: StreamState };
  corrupt: { key: CorruptKeyTuple; value: StoredCorruptSlice };
}

/** Schema version 1 (the first layout): whole slices, points inline. Kept for the upgrade. */
interface IndexedDbOutboxSchemaV1 extends DBSchema {
  slices: { key: SliceKeyTuple; value: StoredSlice };
  streams: { key: string; value: StreamState };
}

export const tuple = (k: SliceKey): SliceKeyTuple => [k.dataId, k.channel, k.chunkIndex];

export function metaOf(s: StoredSlice): SliceMeta {
  const { timestamps: _t, values: _v, units: _u, ...meta } = s;
  return meta;
}

export function pointsOf(s: StoredSlice): StoredPoints {
  return { version: s.version, timestamps: s.timestamps, values: s.values, ...(s.units !== undefined ? { units: s.units } : {}) };
}

export function requireIndexedDb(who: string): IDBFactory {
  if (typeof indexedDB === "undefined") {
    throw new Error(
      `${who} needs IndexedDB, which this runtime does not have (it is a browser API). ` +
        `Use it in a browser page or worker; elsewhere use MemoryOutbox, or FileOutbox from "atomscale-stream/fs" under Node and Deno.`,
    );
  }
  return indexedDB;
}

// ---- schema steps: each upgrade runs every step from the stored version up, inside one transaction ----

export type UpgradeTx = IDBPTransaction<unknown, string[], "versionchange">;

/** Version 1: whole slices keyed by [dataId, channel, chunkIndex]; streams keyed by dataId. */
function createVersion1(db: IDBPDatabase<unknown>): void {
  db.createObjectStore("slices", { keyPath: ["dataId", "channel", "chunkIndex"] });
  db.createObjectStore("streams", { keyPath: "dataId" });
}

/** Version 1 → 2: points move to their own store, `slices` keeps the metadata; nothing is dropped. */
async function migrate1to2(db: IDBPDatabase<unknown>, tx: UpgradeTx): Promise<void> {
  const slices = tx.objectStore("slices");
  slices.createIndex("by-dataId", "dataId");
  const points = db.createObjectStore("points");
  for (let cursor = await slices.openCursor(); cursor; cursor = await cursor.continue()) {
    const record = cursor.value as Partial<StoredSlice> & SliceMeta;
    if (Array.isArray(record.timestamps) && Array.isArray(record.values)) {
      const whole = record as StoredSlice;
      await points.put(pointsOf(whole), cursor.primaryKey);
      await cursor.update(metaOf(whole));
    }
  }
}

/** Version 2 → 3: a store for slices set aside as damaged. */
function migrate2to3(db: IDBPDatabase<unknown>): void {
  db.createObjectStore("corrupt", { keyPath: ["dataId", "channel", "chunkIndex", "version"] });
}

export function upgrade(db: IDBPDatabase<unknown>, oldVersion: number, tx: UpgradeTx): void {
  const steps = (async () => {
    if (oldVersion < 1) createVersion1(db);
    if (oldVersion < 2) await migrate1to2(db, tx);
    if (oldVersion < 3) migrate2to3(db);
  })();
  // A step that fails aborts the whole upgrade: the database stays at its old version, data intact.
  steps.catch((error: unknown) => {
    console.error("atomscale-stream: IndexedDB outbox upgrade failed; the database is left as it was.", error);
    try {
      tx.abort();
    } catch {
      /* already finished */
    }
  });
}
