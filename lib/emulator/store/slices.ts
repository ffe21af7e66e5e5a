/**
 * Slices: storing a request's slices set-wise, and reading a stream back.
 *
 * A request is one statement whatever its size: an upsert of all its slices that also checks the
 * stream and returns the point counts of the slices it replaced. Rows are written in channel-name
 * order, and requests for one (data_id, chunk_index) — the only ones that share rows — take turns in
 * this process, so two requests never wait on each other's row locks, let alone deadlock. No row is
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

/** Stores slices; keeps each channel's point total. One per database (see the module comment). */
/**
 * The one statement of a write: check the stream, upsert every slice (in channel-name order), and
 * return how many rows were written and the point counts of the slices replaced (read from the
 * statement's snapshot, before its own write).
 */
const PUT_SLICES: PreparedStatement = {
  name: "emulator_put_slices",
  text: `with input (c, t, v, u, n, m) as (
      select * from unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::int4[], $9::int8[])
    ),
    target as (
      select data_id from streams
      where data_id = $1::text and pipeline_status = 'stream_active' and points_per_chunk >= $3::int4
    ),
    ins as (
      insert into slices (data_id, channel_name, chunk_index, ts_ms_json, vals_json, units, n_points, t_min_ms)
      select target.data_id, i.c, $2::int8, i.t, i.v, i.u, i.n, i.m from input i cross join target
      order by i.c
      on conflict (data_id, channel_name, chunk_index) do update
        set ts_ms_json = excluded.ts_ms_json, vals_json = excluded.vals_json, units = excluded.units,
            n_points = excluded.n_points, t_min_ms = excluded.t_min_ms, seq = excluded.seq, received_at = excluded.received_at
      returning 1
    ),
    old as (
      select channel_name, n_points from slices
      where data_id = $1::text and chunk_index = $2::int8 and channel_name in (select c from input)
    )
    select null::text as channel_name, null::int4 as n_points, (select count(*) from ins)::int4 as written
    union all
    select channel_name, n_points, 0 from old`,
};

export class SliceStore {
  /** data_id → channel → points stored, for streams written since this process started. */
  readonly #totals = new Map<string, Map<string, number>>();
  /** Streams whose totals are being counted: their writes wait for the count. */
  readonly #counting = new Map<string, Promise<Map<string, number>>>();
  /** The last write per (data_id, chunk_index): a write of the same key waits for it. */
  readonly #writes = new Map<string, Promise<unknown>>();

  constructor(private readonly db: Database) {}

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

  /** The upsert; answers the point counts of the slices it replaced, by channel. */
  async #write(dataId: string, chunkIndex: number, slices: SliceInput[]): Promise<Map<string, number> | PutRefusal> {
    let longest = 0;
    const names: string[] = [];
    const times: string[] = [];
    const values: string[] = [];
    const units: Array<string | null> = [];
    const counts: number[] = [];
    const firsts: Array<number | null> = [];
    for (const s of slices) {
      const ms = s.timestamps.map(toMs);
      longest = Math.max(longest, s.values.length);
      names.push(s.channel_name);
      times.push(JSON.stringify(ms));
      values.push(JSON.stringify(s.values));
      units.push(s.units ?? null);
      counts.push(s.values.length);
      firsts.push(minOf(ms));
    }
    const answered = await this.db.execute<{ channel_name: string | null; n_points: number | null; written: number }>(PUT_SLICES, [
      dataId,
      chunkIndex,
      longest,
      names,
      times,
      values,
      units,
      counts,
      firsts,
    ]);
    const written = answered.find((r) => r.channel_name === null)?.written ?? 0;
    if (Number(written) < slices.length) {
      const [stream] = await this.db.query<{ pipeline_status: string; points_per_chunk: number }>(
        `select pipeline_status, points_per_chunk from streams where data_id = $1`,
        [dataId],
      );
      if (!stream) return { refused: "unknown" };
      if (stream.pipeline_status !== "stream_active") return { refused: "finalized", pipelineStatus: stream.pipeline_status };
      return { refused: "too_long", pointsPerChunk: Number(stream.points_per_chunk) };
    }
    const replaced = new Map<string, number>();
    for (const r of answered) if (r.channel_name !== null) replaced.set(r.channel_name, Number(r.n_points));
    return replaced;
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
