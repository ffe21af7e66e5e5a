/**
 * IndexedDbOutbox's deletes: of acknowledged versions, and of slices removed or dropped. An ack does not
 * wait for its delete. Deletes gather for a moment and go with the next put, in its transaction (one
 * transaction a request instead of two), or on their own — relaxed, a few at a time — when no put comes
 * within {@link DELETE_DELAY_MS} or many have gathered; closing the outbox writes those still waiting.
 *
 * Why that is safe: a delete that is lost (a crash or a reload before it was written, or a failed
 * transaction) leaves an acknowledged version pending. It is sent again after the next open and replaces
 * itself on the server (the same points at the same positions), then is deleted again. It never loses a
 * reading: only the version named is deleted, checked inside the transaction, so a newer version of the
 * key (a put since, or another tab's) is kept. Writes of slices and stream states stay strict.
 */
import type { IDBPTransaction } from "idb";
import { keyString } from "../types.js";
import type { IndexedDbConnection } from "./indexeddb-connection.js";
import { tuple, type IndexedDbOutboxSchema } from "./indexeddb-schema.js";
import type { SliceMeta } from "./types.js";

/** How long deletes wait for a put to go with before they are written on their own. */
export const DELETE_DELAY_MS = 100;
/** This many deletes waiting are written at once. */
export const DELETE_BATCH = 512;

/** A readwrite transaction over `slices` and `points` (and `streams`, when a put carries the deletes). */
type DeleteTx = IDBPTransaction<IndexedDbOutboxSchema, Array<"slices" | "points" | "streams">, "readwrite">;

/**
 * Delete each slice's records in `tx` if they still hold the version named. Metadata and points are
 * written and deleted together, so the metadata's version is the record's.
 */
export function deleteVersions(tx: DeleteTx, metas: SliceMeta[]): Array<Promise<void>> {
  const slices = tx.objectStore("slices");
  const points = tx.objectStore("points");
  return metas.map(async (m) => {
    const key = tuple(m);
    const stored = await slices.get(key);
    if (stored?.version === m.version) {
      await Promise.all([slices.delete(key), points.delete(key)]);
      return;
    }
    if (stored !== undefined) return; // a newer version: kept
    // Points without metadata (damage): delete them only if they are of the version named.
    if ((await points.get(key))?.version === m.version) await points.delete(key);
  });
}

export class IndexedDbDeletes {
  readonly #connection: IndexedDbConnection;
  #waiting: SliceMeta[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Deletes written on their own and not yet committed (or failed). */
  readonly #inFlight = new Set<Promise<void>>();

  constructor(connection: IndexedDbConnection) {
    this.#connection = connection;
  }

  /** Deletes waiting for a transaction. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Delete these versions soon (see the header); resolves at once. */
  delete(metas: SliceMeta[]): Promise<void> {
    if (metas.length === 0) return Promise.resolve();
    this.#waiting.push(...metas);
    if (this.#waiting.length >= DELETE_BATCH) this.#flush();
    else this.#timer ??= setTimeout(() => this.#flush(), DELETE_DELAY_MS);
    return Promise.resolve();
  }

  /**
   * The deletes waiting, for a put's transaction to carry. A key the put writes is left out: the put
   * replaces its acknowledged version (deleting it in the same transaction would delete the new one).
   */
  take(written: ReadonlyArray<SliceMeta>): SliceMeta[] {
    if (this.#waiting.length === 0) return [];
    this.#clearTimer();
    const replaced = new Set(written.map(keyString));
    const taken = this.#waiting.filter((m) => !replaced.has(keyString(m)));
    this.#waiting = [];
    return taken;
  }

  /** A put that carried deletes failed: write them on their own now (they must not wait for puts that fail). */
  putFailed(metas: SliceMeta[]): void {
    if (metas.length === 0) return;
    this.#waiting.push(...metas);
    this.#flush();
  }

  /** Write the deletes waiting in a relaxed transaction of their own. */
  #flush(): void {
    this.#clearTimer();
    const metas = this.#waiting;
    this.#waiting = [];
    if (metas.length === 0) return;
    // Lost or failed, a delete only re-sends an acknowledged version (see the header): nothing to report.
    const done = (async () => {
      const tx = await this.#connection.transaction(["slices", "points"], "readwrite", "relaxed");
      await Promise.all([...deleteVersions(tx as unknown as DeleteTx, metas), tx.done]);
    })().catch(() => {});
    this.#inFlight.add(done);
    void done.then(() => this.#inFlight.delete(done));
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Write what waits now; resolves once every delete so far has committed or failed (before closing). */
  async settled(): Promise<void> {
    this.#flush();
    await Promise.all([...this.#inFlight]);
  }
}
