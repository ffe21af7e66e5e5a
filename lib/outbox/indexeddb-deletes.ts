/**
 * IndexedDbOutbox's deletes: of acknowledged versions, and of slices removed or dropped. An ack does not
 * wait for its delete. Deletes gather for up to {@link DELETE_DELAY_MS} (or until {@link DELETE_BATCH}
 * wait) and are written together in one relaxed transaction; a stream channel's consecutive chunks are
 * deleted as one key range once one read of that range shows exactly the versions named, so a page
 * streaming 8 channels costs a few IndexedDB operations a second for its deletes, not three a slice.
 * Closing the outbox writes those still waiting; a put that fails writes them at once (they free space).
 *
 * Why that is safe: a delete that is lost (a crash or a reload before it was written, or a failed
 * transaction) leaves an acknowledged version pending. It is sent again after the next open and replaces
 * itself on the server (the same points at the same positions), then is deleted again. It never loses a
 * reading: only the versions named are deleted, checked inside the transaction, so a newer version of a
 * key (a put since, or another tab's) and any key not named (a chunk still pending inside a range) are
 * kept. Writes of slices and stream states stay strict (indexeddb-records.ts).
 */
import type { IDBPTransaction } from "idb";
import type { IndexedDbConnection } from "./indexeddb-connection.js";
import { tuple, type IndexedDbOutboxSchema } from "./indexeddb-schema.js";
import type { SliceMeta } from "./types.js";

/** How long deletes gather before they are written. */
export const DELETE_DELAY_MS = 1000;
/** This many deletes waiting are written at once. */
export const DELETE_BATCH = 4096;

type DeleteTx = IDBPTransaction<IndexedDbOutboxSchema, Array<"slices" | "points">, "readwrite">;

/** Delete one slice's records if they still hold the version named (metadata and points go together). */
async function deleteOne(tx: DeleteTx, m: SliceMeta): Promise<void> {
  const slices = tx.objectStore("slices");
  const points = tx.objectStore("points");
  const key = tuple(m);
  const stored = await slices.get(key);
  if (stored?.version === m.version) {
    await Promise.all([slices.delete(key), points.delete(key)]);
    return;
  }
  if (stored !== undefined) return; // a newer version: kept
  // Points without metadata (damage): delete them only if they are of the version named.
  if ((await points.get(key))?.version === m.version) await points.delete(key);
}

/**
 * Delete consecutive chunks of one stream channel (sorted, one version each): as one key range when the
 * range holds exactly these versions, else one by one.
 */
async function deleteRun(tx: DeleteTx, run: SliceMeta[]): Promise<void> {
  if (run.length === 1) return deleteOne(tx, run[0]!);
  const first = run[0]!;
  const last = run[run.length - 1]!;
  const range = IDBKeyRange.bound(tuple(first), tuple(last));
  const slices = tx.objectStore("slices");
  const stored = await slices.getAll(range);
  const exact = stored.length === run.length && stored.every((s, i) => s.chunkIndex === run[i]!.chunkIndex && s.version === run[i]!.version);
  if (exact) {
    await Promise.all([slices.delete(range), tx.objectStore("points").delete(range)]);
    return;
  }
  await Promise.all(run.map((m) => deleteOne(tx, m)));
}

/** The deletes as runs of consecutive chunks of one stream channel; a key named twice goes alone. */
export function runsOf(metas: SliceMeta[]): SliceMeta[][] {
  const byChannel = new Map<string, SliceMeta[]>();
  for (const m of metas) {
    const id = JSON.stringify([m.dataId, m.channel]);
    const list = byChannel.get(id);
    if (list) list.push(m);
    else byChannel.set(id, [m]);
  }
  const runs: SliceMeta[][] = [];
  for (const list of byChannel.values()) {
    list.sort((a, b) => a.chunkIndex - b.chunkIndex || a.version - b.version);
    let run: SliceMeta[] = [];
    for (const m of list) {
      const prev = run[run.length - 1];
      if (prev && m.chunkIndex === prev.chunkIndex) {
        runs.push([m]); // two versions of one key named: each checked on its own
        continue;
      }
      if (prev && m.chunkIndex !== prev.chunkIndex + 1) {
        runs.push(run);
        run = [];
      }
      run.push(m);
    }
    if (run.length > 0) runs.push(run);
  }
  return runs;
}

export class IndexedDbDeletes {
  readonly #connection: IndexedDbConnection;
  #waiting: SliceMeta[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Deletes written and not yet committed (or failed). */
  readonly #inFlight = new Set<Promise<void>>();

  constructor(connection: IndexedDbConnection) {
    this.#connection = connection;
  }

  /** Deletes waiting for their transaction. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Delete these versions soon (see the header); resolves at once. */
  delete(metas: SliceMeta[]): Promise<void> {
    if (metas.length === 0) return Promise.resolve();
    this.#waiting.push(...metas);
    if (this.#waiting.length >= DELETE_BATCH) this.flush();
    else if (this.#timer === undefined) {
      this.#timer = setTimeout(() => this.flush(), DELETE_DELAY_MS);
      (this.#timer as { unref?: () => void }).unref?.(); // a lost delete is harmless: never keep a process alive for one
    }
    return Promise.resolve();
  }

  /** Write the deletes waiting now, in a relaxed transaction of their own. */
  flush(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const metas = this.#waiting;
    this.#waiting = [];
    if (metas.length === 0) return;
    // Lost or failed, a delete only re-sends an acknowledged version (see the header): nothing to report.
    const done = (async () => {
      const tx = (await this.#connection.transaction(["slices", "points"], "readwrite", "relaxed")) as DeleteTx;
      await Promise.all([...runsOf(metas).map((run) => deleteRun(tx, run)), tx.done]);
    })().catch(() => {});
    this.#inFlight.add(done);
    void done.then(() => this.#inFlight.delete(done));
  }

  /** Write what waits now; resolves once every delete so far has committed or failed (before closing). */
  async settled(): Promise<void> {
    this.flush();
    await Promise.all([...this.#inFlight]);
  }
}
