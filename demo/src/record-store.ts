/**
 * The rows the page recorded, kept in IndexedDB beside the outbox so the CSV of the current stream survives
 * a reload. Only the current (or last) stream's rows are kept: starting a new stream clears the others.
 * This is a copy for the download; the readings themselves travel through the outbox.
 */
import { openDB, type DBSchema, type IDBPDatabase } from "idb";
import type { RecordedReading } from "./recording.ts";

interface RecordSchema extends DBSchema {
  rows: { key: number; value: RecordedReading & { dataId: string }; indexes: { dataId: string } };
}

export class RecordStore {
  readonly #db: Promise<IDBPDatabase<RecordSchema>>;

  constructor(name = "atomscale-stream-demo-recording") {
    this.#db = openDB<RecordSchema>(name, 1, {
      upgrade(db) {
        db.createObjectStore("rows", { autoIncrement: true }).createIndex("dataId", "dataId");
      },
    });
  }

  /** Append one accepted batch (in acceptance order). */
  async append(dataId: string, rows: readonly RecordedReading[]): Promise<void> {
    const db = await this.#db;
    const tx = db.transaction("rows", "readwrite");
    for (const r of rows) void tx.store.add({ ...r, dataId });
    await tx.done;
  }

  /** The rows of one stream, in the order they were appended. */
  async rows(dataId: string): Promise<RecordedReading[]> {
    const db = await this.#db;
    const all = await db.getAllFromIndex("rows", "dataId", dataId);
    return all.map(({ dataId: _, ...r }) => r);
  }

  /** How many rows of this stream are kept. */
  async count(dataId: string): Promise<number> {
    return (await this.#db).countFromIndex("rows", "dataId", dataId);
  }

  /** Forget every stream but this one. */
  async keepOnly(dataId: string): Promise<void> {
    const db = await this.#db;
    const tx = db.transaction("rows", "readwrite");
    for await (const cursor of tx.store) if (cursor.value.dataId !== dataId) await cursor.delete();
    await tx.done;
  }
}
