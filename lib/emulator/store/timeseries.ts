/** Reading a stream back, in the platform's property-centric shape. */
import type { Queryable } from "../database.js";
import type { TimeseriesPropertiesWire, TimeseriesPropertyWire } from "../../api/wire.js";

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
