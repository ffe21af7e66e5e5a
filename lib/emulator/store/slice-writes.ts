/**
 * Slice writes, committed in groups: the requests that arrive while a statement runs are stored
 * together by the next one (./put-batch.ts: one statement, one commit, for many requests; PGlite's
 * per-statement cost and the WAL flush at each commit are paid once per group). Requests for one
 * (data_id, chunk_index) — the only ones that share rows — take turns in this process, so they are
 * never in one statement, and two statements never wait on each other's row locks, let alone
 * deadlock. No row is shared by all requests to a stream: `total_points` comes from per-channel totals
 * kept in memory (exact: one emulator per database, see start.ts; counted from the slices once per
 * stream per start).
 */
import type { Database } from "../database.js";
import type { ChunkResponse } from "../../api/wire.js";
import { putBatch } from "./put-batch.js";
import type { PutRefusal, SliceInput } from "./slices.js";

/** One request's write, waiting for its batch. */
interface PendingWrite {
  dataId: string;
  chunkIndex: number;
  slices: SliceInput[];
  resolve: (result: Map<string, number> | PutRefusal) => void;
  reject: (error: unknown) => void;
}

/** The most slices one statement stores (a batch takes whole requests; a larger request goes alone). */
const MAX_BATCH_SLICES = 512;

/** Stores slices; keeps each channel's point total. One per database (see the module comment). */
export class SliceStore {
  /** data_id → channel → points stored, for streams written since this process started. */
  readonly #totals = new Map<string, Map<string, number>>();
  /** Streams whose totals are being counted: their writes wait for the count. */
  readonly #counting = new Map<string, Promise<Map<string, number>>>();
  /** The last write per (data_id, chunk_index): a write of the same key waits for it. */
  readonly #writes = new Map<string, Promise<unknown>>();
  /** Writes waiting for the next statement. */
  #queue: PendingWrite[] = [];
  /** Statements running. */
  #running = 0;
  /** How many statements may run at once: PGlite runs one at a time anyway; a server has a pool. */
  readonly #parallel: number;
  /** Slices written since the table's statistics were last refreshed (PGlite), and the count then. */
  #sinceAnalyze = 0;
  #analyzedAt = 0;

  constructor(private readonly db: Database) {
    this.#parallel = db.kind === "postgres" ? 4 : 1;
  }

  /**
   * Store slices sharing one chunk index in one statement (atomically); each replaces whatever its
   * key held. Answers one total per slice, in the request's order, or why nothing was stored.
   */
  async put(dataId: string, chunkIndex: number, slices: SliceInput[]): Promise<ChunkResponse[] | PutRefusal> {
    const totals = this.#totals.get(dataId) ?? (await this.#count(dataId));
    const key = `${dataId}\u0000${chunkIndex}`;
    const before = this.#writes.get(key);
    const write = (async () => {
      if (before) await before.catch(() => {});
      return this.#write(dataId, chunkIndex, slices);
    })();
    this.#writes.set(key, write);
    let replaced: Map<string, number> | PutRefusal;
    try {
      replaced = await write;
    } finally {
      if (this.#writes.get(key) === write) this.#writes.delete(key);
    }
    if (!(replaced instanceof Map)) {
      // Counted for nothing: a stream that does not exist keeps no entry (ids sent at random cost no memory).
      if (replaced.refused === "unknown" && totals.size === 0 && !this.#writes.size) this.#totals.delete(dataId);
      return replaced;
    }
    return slices.map((s) => {
      const total = (totals.get(s.channel_name) ?? 0) + s.values.length - (replaced.get(s.channel_name) ?? 0);
      totals.set(s.channel_name, total);
      return { data_id: dataId, channel_name: s.channel_name, chunk_index: chunkIndex, total_points: total };
    });
  }

  /** Count a stream's points per channel, once per process; its first writes wait for the count. */
  #count(dataId: string): Promise<Map<string, number>> {
    let counting = this.#counting.get(dataId);
    if (!counting) {
      counting = (async () => {
        const rows = await this.db.query<{ channel_name: string; total: number }>(
          `select channel_name, sum(n_points)::float8 as total from slices where data_id = $1 group by channel_name`,
          [dataId],
        );
        const totals = new Map(rows.map((r) => [r.channel_name, Number(r.total)]));
        this.#totals.set(dataId, totals);
        return totals;
      })();
      this.#counting.set(dataId, counting);
      void counting.finally(() => this.#counting.delete(dataId)).catch(() => {});
    }
    return counting;
  }

  /** Queue a request's upsert for the next statement; answers the point counts of the slices it replaced, by channel. */
  #write(dataId: string, chunkIndex: number, slices: SliceInput[]): Promise<Map<string, number> | PutRefusal> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ dataId, chunkIndex, slices, resolve, reject });
      this.#pump();
    });
  }

  /** Start statements while fewer than #parallel run, each taking the requests queued so far. */
  #pump(): void {
    while (this.#running < this.#parallel && this.#queue.length > 0) {
      let size = 0;
      let taken = 0;
      while (taken < this.#queue.length && (taken === 0 || size + this.#queue[taken]!.slices.length <= MAX_BATCH_SLICES)) {
        size += this.#queue[taken]!.slices.length;
        taken++;
      }
      const batch = this.#queue.slice(0, taken);
      this.#queue = this.#queue.slice(taken);
      this.#running++;
      void this.#writeBatch(batch)
        .then(() => this.#refreshStatistics(size))
        .finally(() => {
          this.#running--;
          this.#pump();
        });
    }
  }

  /**
   * PGlite has no autovacuum: without fresh statistics the planner keeps believing the slices table is
   * as small as when it was created, and a plan made then scans it whole on every write (quadratic
   * ingest). Refresh them each time the table may have doubled (amortised: a few ms per doubling).
   */
  async #refreshStatistics(written: number): Promise<void> {
    if (this.db.kind !== "pglite") return; // a server's autovacuum does it
    this.#sinceAnalyze += written;
    if (this.#sinceAnalyze < Math.max(1000, this.#analyzedAt)) return;
    this.#analyzedAt += this.#sinceAnalyze;
    this.#sinceAnalyze = 0;
    await this.db.exec("analyze slices").catch(() => {});
  }

  /**
   * One statement for the batch. If it fails and held several requests, each is tried alone, so that
   * one request's failure is its own.
   */
  async #writeBatch(batch: PendingWrite[]): Promise<void> {
    let results: Array<Map<string, number> | PutRefusal>;
    try {
      results = await this.#store(batch);
    } catch (error) {
      if (batch.length === 1) return batch[0]!.reject(error);
      for (const one of batch) {
        await this.#store([one]).then(([result]) => one.resolve(result!), one.reject);
      }
      return;
    }
    batch.forEach((w, i) => w.resolve(results[i]!));
  }

  #store(batch: PendingWrite[]): Promise<Array<Map<string, number> | PutRefusal>> {
    return putBatch(this.db, batch);
  }
}
