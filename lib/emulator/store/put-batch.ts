/**
 * One statement for a batch of requests' slices (the group commit of ./slice-writes.ts): an upsert of
 * all their slices that also checks each request's stream, and answers per slice the point count of
 * the version it replaced. Then, per request, what was stored or why nothing was.
 */
import type { Database, PreparedStatement } from "../database.js";
import { toMs, type PutRefusal, type SliceInput } from "./slices.js";

/** One request's write: its stream, chunk index and slices. */
export interface PutRequest {
  dataId: string;
  chunkIndex: number;
  slices: SliceInput[];
}

/**
 * Per row: the request's number `r`, its stream `d`, chunk index `k` and longest slice `l`; a request's
 * rows are written only if its stream is active and its chunk long enough (all or none: they share `d`
 * and `l`). A replaced row keeps the point count of the version it replaced in `replaced_points`
 * (0 for a new row), which RETURNING reports: the totals need no second lookup. Rows go in request
 * order, then channel-name order (row locks always taken in one order).
 */
const PUT_BATCH: PreparedStatement = {
  name: "emulator_put_batch",
  text: `insert into slices (data_id, channel_name, chunk_index, ts_ms_json, vals_json, units, n_points, t_min_ms)
    select i.d, i.c, i.k, i.t, i.v, i.u, i.n, i.m
    from unnest($1::int4[], $2::text[], $3::int8[], $4::int4[], $5::text[], $6::text[], $7::text[], $8::text[], $9::int4[], $10::int8[])
      as i (r, d, k, l, c, t, v, u, n, m)
    join streams s on s.data_id = i.d and s.pipeline_status = 'stream_active' and s.points_per_chunk >= i.l
    order by i.r, i.c
    on conflict (data_id, channel_name, chunk_index) do update
      set ts_ms_json = excluded.ts_ms_json, vals_json = excluded.vals_json, units = excluded.units,
          n_points = excluded.n_points, t_min_ms = excluded.t_min_ms, seq = excluded.seq, received_at = excluded.received_at,
          replaced_points = slices.n_points
    returning data_id, chunk_index, channel_name, replaced_points`,
  types: ["int4[]", "text[]", "int8[]", "int4[]", "text[]", "text[]", "text[]", "text[]", "int4[]", "int8[]"],
};

const minOf = (xs: number[]): number | null => (xs.length === 0 ? null : xs.reduce((a, b) => (b < a ? b : a)));
const keyOf = (dataId: string, chunkIndex: number) => `${dataId}\u0000${chunkIndex}`;

/**
 * Store the batch in one statement (one commit). Two requests of the batch never share a
 * (data_id, chunk_index): the caller sees to it. Answers per request the point counts of the slices
 * it replaced, by channel, or why nothing of it was stored.
 */
export async function putBatch(db: Database, batch: readonly PutRequest[]): Promise<Array<Map<string, number> | PutRefusal>> {
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
  const rows = await db.execute<{ data_id: string; chunk_index: string | number; channel_name: string; replaced_points: string | number }>(PUT_BATCH, [
    rs,
    ds,
    ks,
    ls,
    names,
    times,
    values,
    units,
    counts,
    firsts,
  ]);
  const requestOf = new Map(batch.map((w, r) => [keyOf(w.dataId, w.chunkIndex), r]));
  const replaced = batch.map(() => new Map<string, number>());
  const written = batch.map(() => 0);
  for (const row of rows) {
    const r = requestOf.get(keyOf(row.data_id, Number(row.chunk_index)));
    if (r === undefined) continue;
    written[r]!++;
    const before = Number(row.replaced_points);
    if (before > 0) replaced[r]!.set(row.channel_name, before);
  }
  return Promise.all(batch.map(async (w, r) => (written[r]! >= w.slices.length ? replaced[r]! : refusal(db, w.dataId))));
}

/** Why a request's slices were not written: its stream is unknown, finalized, or its chunk too short. */
async function refusal(db: Database, dataId: string): Promise<PutRefusal> {
  const [stream] = await db.query<{ pipeline_status: string; points_per_chunk: number }>(
    `select pipeline_status, points_per_chunk from streams where data_id = $1`,
    [dataId],
  );
  if (!stream) return { refused: "unknown" };
  if (stream.pipeline_status !== "stream_active") return { refused: "finalized", pipelineStatus: stream.pipeline_status };
  return { refused: "too_long", pointsPerChunk: Number(stream.points_per_chunk) };
}
