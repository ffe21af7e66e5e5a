/**
 * A data directory written by the previous emulator (schema version 1: float8 seconds, one total row
 * per channel) is migrated in place at start: same key, same points, now in whole milliseconds.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { describe, expect, it } from "vitest";
import { http, spawnServe } from "../helpers/emulator.js";

/** The version 1 schema, as the previous release created it. */
const V1_SCHEMA = `
create table emulator_settings (key text primary key, value text not null);
create table growth_instruments (
  synth_source_id serial primary key, source_name text not null, label text not null, synth_source_type text not null,
  serial_id text, source_manufacturer text, source_model text, last_updated timestamptz not null default now());
create table physical_samples (
  id text primary key, name text, growth_instrument_id integer references growth_instruments (synth_source_id), sample_id text,
  version integer not null default 1, created_datetime timestamptz not null default now(), last_updated timestamptz not null default now());
create table streams (
  data_id text primary key, processed_data_id text not null, char_source_type text not null, stream_name text not null,
  points_per_chunk integer not null, synth_source_id integer references growth_instruments (synth_source_id),
  physical_sample_id text references physical_samples (id), project_id text, pipeline_status text not null,
  upload_datetime timestamptz not null default now(), last_updated timestamptz not null default now(), finalized_at timestamptz);
create sequence slice_seq;
create table slices (
  data_id text not null references streams (data_id) on delete cascade, channel_name text not null, chunk_index bigint not null,
  ts float8[] not null, vals float8[] not null, units text, n_points integer not null, t_min float8,
  seq bigint not null default nextval('slice_seq'), received_at timestamptz not null default now(),
  primary key (data_id, channel_name, chunk_index));
create table channel_totals (
  data_id text not null references streams (data_id) on delete cascade, channel_name text not null,
  total_points bigint not null default 0, primary key (data_id, channel_name));
create table project_tracking (
  project_id text not null, physical_sample_id text not null references physical_samples (id),
  is_active boolean not null default false, added_at timestamptz not null default now(), primary key (project_id, physical_sample_id));
`;

describe("schema migration", () => {
  it("version 1 → 2 keeps the key, the streams and every point (seconds become whole milliseconds)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "atomscale-emu-v1-"));
    const id = "11111111-2222-4333-8444-555555555555";
    const v1 = await PGlite.create(join(dir, "pgdata"));
    await v1.exec(V1_SCHEMA);
    await v1.exec(`
      insert into emulator_settings values ('schema_version', '1'), ('seeded', 'true'), ('api_key', 'emu_v1key');
      insert into growth_instruments (source_name, label, synth_source_type) values ('Old MBE', 'M', 'mbe');
      insert into streams (data_id, processed_data_id, char_source_type, stream_name, points_per_chunk, pipeline_status)
        values ('${id}', 'p', 'metrology', 'old run', 3, 'stream_active');
      insert into slices (data_id, channel_name, chunk_index, ts, vals, units, n_points, t_min) values
        ('${id}', 'T', 0, '{1705312200.1,1705312200.2,1705312200.3}', '{600.5,0.1,-1e-300}', 'C', 3, 1705312200.1),
        ('${id}', 'T', 1, '{1705312200.4}', '{601}', null, 1, 1705312200.4),
        ('${id}', '__proto__', 0, '{1705312200.9}', '{5}', null, 1, 1705312200.9);
      insert into channel_totals values ('${id}', 'T', 4), ('${id}', '__proto__', 1);
    `);
    await v1.close();

    const emu = await spawnServe({ args: ["--data-dir", dir] });
    try {
      expect(emu.apiKey).toBe("emu_v1key");
      const call = http(emu);
      const back = (await call("GET", `/metrology/${id}/timeseries/`)).body.properties;
      expect(back.T).toEqual({
        unix_timestamp_ms: [1705312200100, 1705312200200, 1705312200300, 1705312200400],
        relative_time_seconds: [0, 0.1, 0.2, 0.3],
        values: [600.5, 0.1, -1e-300, 601],
        units: "C",
      });
      expect(back.__proto__).toMatchObject({ values: [5], unix_timestamp_ms: [1705312200900] });
      // the totals continue from the migrated points, and the stream takes more data
      const more = await call("POST", "/metrology/stream/chunk", { data_id: id, chunk_index: 1, channel_name: "T", timestamps: [1705312200.4, 1705312200.5], values: [601, 602] });
      expect(more.status).toBe(200);
      expect(more.body.total_points).toBe(5);
      expect((await call("GET", "/instruments/synthesis")).body.map((i: { source_name: string }) => i.source_name)).toEqual(["Old MBE"]);
    } finally {
      await emu.stop();
    }
    // and a second start on the migrated directory finds version 2 and changes nothing
    const again = await spawnServe({ args: ["--data-dir", dir] });
    try {
      const back = (await http(again)("GET", `/metrology/${id}/timeseries/`)).body.properties;
      expect(back.T.values).toEqual([600.5, 0.1, -1e-300, 601, 602]);
    } finally {
      await again.stop();
    }
  });
});
