/**
 * IndexedDbOutbox's connection to its database: opened lazily (upgrading the schema step by step,
 * indexeddb-schema.ts), given up when another tab needs to upgrade the database or the browser closes
 * it, and opened again on next use. Transactions are made here: readwrite ones strict unless asked.
 */
import { openDB, type IDBPDatabase, type IDBPTransaction, type StoreNames } from "idb";
import { INDEXEDDB_SCHEMA_VERSION, upgrade, type IndexedDbOutboxSchema, type UpgradeTx } from "./indexeddb-schema.js";

export type Db = IDBPDatabase<IndexedDbOutboxSchema>;

/** The connection of one IndexedDbOutbox to its database `name`. */
export class IndexedDbConnection {
  readonly name: string;
  #db: Promise<Db> | undefined;
  #closed = false;

  constructor(name: string) {
    this.name = name;
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
   * complete; `relaxed` only where losing the change in a crash is harmless). A connection closed under
   * us (another tab upgrading the database) is replaced once.
   */
  async transaction<Names extends StoreNames<IndexedDbOutboxSchema>[], Mode extends IDBTransactionMode>(
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

  /** Close for good (transactions already made still complete: IndexedDB closes once they have). */
  async close(): Promise<void> {
    this.#closed = true;
    const db = this.#db;
    this.#db = undefined;
    if (db) (await db.catch(() => undefined))?.close();
  }
}
