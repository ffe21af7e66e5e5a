/**
 * Slices: storing a request's slices set-wise, and reading a stream back.
 *
 * Writes are committed in groups: the requests that arrive while a statement runs are stored together
 * by the next one — an upsert of all their slices that also checks each request's stream and returns
 * the point counts of the slices it replaced (one statement, one commit, for many requests; PGlite's
 * per-statement cost and the WAL flush at each commit are paid once per group). Requests for one
 * (data_id, chunk_index) — the only ones that share rows — take turns in this process, so they are never
 * in one statement, and two statements never wait on each other's row locks, let alone deadlock. No row is
 * shared by all requests to a stream: `total_points` comes from per-channel totals kept in memory
 * (exact: one emulator per database, see start.ts; counted from the slices once per stream per start).
 */
import type { Database, PreparedStatement, Queryable } from "../database.js";
import type { ChunkResponse, TimeseriesPropertiesWire, TimeseriesPropertyWire } from "../../api/wire.js";

export interface SliceInput {
  channel_name: string;
  /** Unix epoch seconds, as sent. Stored as whole milliseconds (the platform's DECIMAL(13,3) seconds). */
  timestamps: number[];
  values: number[];
  units?: string | undefined;
}

/** Why a write was not stored: the stream is unknown, finalized, or a slice is longer than its chunk. */
export type PutRefusal =
  | { refused: "unknown" }
  | { refused: "finalized"; pipelineStatus: string }
  | { refused: "too_long"; pointsPerChunk: number };

/** Seconds → whole milliseconds, as DECIMAL(13,3) seconds hold them. */
export const toMs = (seconds: number): number => Math.round(seconds * 1000);

const minOf = (xs: number[]): number | null => (xs.length === 0 ? null : xs.reduce((a, b) => (b < a ? b : a)));

/**
 * The one statement of a batch of writes (group commit): every request that arrived while the previous
 * statement ran goes in the next one. Per row: the request's number `r`, its stream `d`, chunk index `k`
 * and longest slice `l`; a request's rows are written only if its stream is active and its chunk long
 * enough (all or none: they share `d` and `l`). Answers, per (stream, chunk index), how many rows were
 * written, and per request the point counts of the slices replaced (read from the statement's snapshot,
 * before its own write). Rows go in request order, then channel-name order.
 */
const PUT_BATCH: PreparedStatement = {
  name: "emulator_put_batch",
  text: `with input (r, d, k, l, c, t, v, u, n, m) as (
      select * from unnest($1::int4[], $2::text[], $3::int8[], $4::int4[], $5::text[], $6::text[], $7::text[], $8::text[], $9::int4[], $10::int8[])
    ),
    ins as (
      insert into slices (data_id, channel_name, chunk_index, ts_ms_json, vals_json, units, n_points, t_min_ms)
      select i.d, i.c, i.k, i.t, i.v, i.u, i.n, i.m from input i
      join streams s on s.data_id = i.d and s.pipeline_status = 'stream_active' and s.points_per_chunk >= i.l
      order by i.r, i.c
      on conflict (data_id, channel_name, chunk_index) do update
        set ts_ms_json = excluded.ts_ms_json, vals_json = excluded.vals_json, units = excluded.units,
            n_points = excluded.n_points, t_min_ms = excluded.t_min_ms, seq = excluded.seq, received_at = excluded.received_at
      returning data_id, chunk_index
    ),
    old as (
      -- lateral: a lookup by primary key per input row, whatever the table's statistics say (PGlite has
      -- no autovacuum; a plan made when the table was small would otherwise scan it whole on every write)
      select i.r, o.channel_name, o.n_points from input i
      cross join lateral (
        select channel_name, n_points from slices where data_id = i.d and chunk_index = i.k and channel_name = i.c
      ) o
    )
    select null::int4 as r, data_id as d, chunk_index as k, null::text as channel_name, count(*)::int4 as n from ins group by data_id, chunk_index
    union all
    select r, null, null, channel_name, n_points from old`,
};

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

  async #store(batch: PendingWrite[]): Promise<Array<Map<string, number> | PutRefusal>> {
    const rs: number[] = [];
    const ds: string[] = [];
    const ks: number[] = [];
    const ls: number[] = [];
    const names: string[] = [];
    const times: string[] = [];
    const values: string[] = [];
    const units: Array<string | null> = [];
    const counts: number[] = [];
    const firsts: Array<number | null> = [];
    batch.forEach((w, r) => {
      let longest = 0;
      for (const s of w.slices) longest = Math.max(longest, s.values.length);
      for (const s of w.slices) {
        const ms = s.timestamps.map(toMs);
        rs.push(r);
        ds.push(w.dataId);
        ks.push(w.chunkIndex);
        ls.push(longest);
        names.push(s.channel_name);
        times.push(JSON.stringify(ms));
        values.push(JSON.stringify(s.values));
        units.push(s.units ?? null);
        counts.push(s.values.length);
        firsts.push(minOf(ms));
      }
    });
    const answered = await this.db.execute<{ r: number | null; d: string | null; k: number | null; channel_name: string | null; n: number | null }>(
      PUT_BATCH,
      [rs, ds, ks, ls, names, times, values, units, counts, firsts],
    );
    const written = new Map<string, number>();
    const replaced = batch.map(() => new Map<string, number>());
    for (const row of answered) {
      if (row.r === null) written.set(`${row.d}\u0000${Number(row.k)}`, Number(row.n));
      else replaced[Number(row.r)]!.set(row.channel_name!, Number(row.n));
    }
    return Promise.all(
      batch.map(async (w, r) => {
        if ((written.get(`${w.dataId}\u0000${w.chunkIndex}`) ?? 0) >= w.slices.length) return replaced[r]!;
        const [stream] = await this.db.query<{ pipeline_status: string; points_per_chunk: number }>(
          `select pipeline_status, points_per_chunk from streams where data_id = $1`,
          [w.dataId],
        );
        if (!stream) return { refused: "unknown" } as const;
        if (stream.pipeline_status !== "stream_active") return { refused: "finalized", pipelineStatus: stream.pipeline_status } as const;
        return { refused: "too_long", pointsPerChunk: Number(stream.points_per_chunk) } as const;
      }),
    );
  }
}

/**
 * The stream's points per channel, in the platform's property-centric shape: `unix_timestamp_ms` in
 * whole milliseconds, `relative_time_seconds` from the stream's earliest point, exact to the millisecond.
 * Properties are own keys of a null-prototype object, so any channel name (`__proto__` too) survives.
 */
export async function readTimeseries(db: Queryable, dataId: string, lastN?: number): Promise<TimeseriesPropertiesWire> {
  const rows = await db.query<{ channel_name: string; ts: string; vals: string }>(
    `select channel_name, ts_ms_json as ts, vals_json as vals from slices where data_id = $1 order by channel_name, chunk_index`,
    [dataId],
  );
  const [first] = await db.query<{ t0: number | null }>(`select min(t_min_ms)::float8 as t0 from slices where data_id = $1`, [dataId]);
  const t0 = Number(first?.t0 ?? 0);
  const byChannel = new Map<string, { ts: number[]; vals: number[]; units: string | null }>();
  for (const row of rows) {
    let acc = byChannel.get(row.channel_name);
    if (!acc) byChannel.set(row.channel_name, (acc = { ts: [], vals: [], units: null }));
    for (const t of JSON.parse(row.ts) as number[]) acc.ts.push(t);
    for (const v of JSON.parse(row.vals) as number[]) acc.vals.push(v);
  }
  // Units: the newest slice that named any wins.
  const units = await db.query<{ channel_name: string; units: string }>(
    `select distinct on (channel_name) channel_name, units from slices
     where data_id = $1 and units is not null order by channel_name, seq desc`,
    [dataId],
  );
  for (const u of units) {
    const acc = byChannel.get(u.channel_name);
    if (acc) acc.units = u.units;
  }
  const properties = Object.create(null) as Record<string, TimeseriesPropertyWire>;
  for (const [name, acc] of byChannel) {
    const from = lastN !== undefined ? Math.max(0, acc.ts.length - lastN) : 0;
    const ts = acc.ts.slice(from);
    properties[name] = {
      relative_time_seconds: ts.map((ms) => (ms - t0) / 1000),
      unix_timestamp_ms: ts,
      values: acc.vals.slice(from),
      units: acc.units,
    };
  }
  return { properties };
}
