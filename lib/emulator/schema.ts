/**
 * The emulator's schema: one set of SQL for PGlite and PostgreSQL. Idempotent; run at every start.
 *
 * Version 2 (this one) stores timestamps as whole milliseconds (the platform's DECIMAL(13,3) seconds)
 * and points as JSON text, keeps no per-channel total row (a row every request to a stream updates
 * makes them queue, and its dead versions slow PGlite down; the emulator keeps the totals in memory,
 * see store/slices.ts), and adds tags.
 * A version 1 database is migrated in place by {@link MIGRATE_V1_TO_V2}.
 */
export const SCHEMA_VERSION = 2;

export const SCHEMA_TABLES = `
create table if not exists emulator_settings (
  key text primary key,
  value text not null
);

create table if not exists growth_instruments (
  synth_source_id serial primary key,
  source_name text not null,
  label text not null,
  synth_source_type text not null,
  serial_id text,
  source_manufacturer text,
  source_model text,
  last_updated timestamptz not null default now()
);

create table if not exists physical_samples (
  id text primary key,
  name text,
  growth_instrument_id integer references growth_instruments (synth_source_id),
  sample_id text,
  version integer not null default 1,
  created_datetime timestamptz not null default now(),
  last_updated timestamptz not null default now()
);

create table if not exists streams (
  data_id text primary key,
  processed_data_id text not null,
  char_source_type text not null,
  stream_name text not null,
  points_per_chunk integer not null,
  synth_source_id integer references growth_instruments (synth_source_id),
  physical_sample_id text references physical_samples (id),
  project_id text,
  pipeline_status text not null,
  upload_datetime timestamptz not null default now(),
  last_updated timestamptz not null default now(),
  finalized_at timestamptz
);

create sequence if not exists slice_seq;

create table if not exists project_tracking (
  project_id text not null,
  physical_sample_id text not null references physical_samples (id),
  is_active boolean not null default false,
  added_at timestamptz not null default now(),
  primary key (project_id, physical_sample_id)
);

create table if not exists tags (
  id text primary key,
  name text not null,
  created_datetime timestamptz not null default now()
);
create unique index if not exists tags_name_lower on tags (lower(name));

create table if not exists data_item_tags (
  data_id text not null references streams (data_id) on delete cascade,
  tag_id text not null references tags (id) on delete cascade,
  added_at timestamptz not null default now(),
  primary key (data_id, tag_id)
);
`;

/**
 * The slice store (version 2). One row per (data_id, channel_name, chunk_index): the platform's unit
 * of idempotency; point i of a row sits at position chunk_index * points_per_chunk + i. Timestamps
 * (whole milliseconds) and values are kept as the JSON arrays they arrive and leave as: the database
 * never parses a number (parsing 1 600 numbers per request cost PGlite more than the rest of the
 * request); JSON round-trips float64 exactly. No foreign key to streams: the insert itself checks
 * the stream (one statement per request, no key-share locks). `replaced_points`: the point count of
 * the version a row's last upsert replaced (0 when it was new), which the upsert returns — the
 * channel totals need no second lookup per slice (added in place to version 2 databases).
 */
export const SCHEMA_SLICES = `
create table if not exists slices (
  data_id text not null,
  channel_name text not null,
  chunk_index bigint not null,
  ts_ms_json text not null,
  vals_json text not null,
  units text,
  n_points integer not null,
  t_min_ms int8,
  seq bigint not null default nextval('slice_seq'),
  received_at timestamptz not null default now(),
  replaced_points integer not null default 0,
  primary key (data_id, channel_name, chunk_index)
);
alter table slices add column if not exists replaced_points integer not null default 0;
`;

/** Version 1 → 2: seconds (float8[]) → whole milliseconds (JSON text), no total rows. */
export const MIGRATE_V1_TO_V2 = `
alter table slices add column if not exists ts_ms_json text;
alter table slices add column if not exists vals_json text;
alter table slices add column if not exists t_min_ms int8;
update slices set
  ts_ms_json = array_to_json(array(select round(x * 1000)::int8 from unnest(ts) with ordinality as u(x, o) order by o))::text,
  vals_json = array_to_json(vals)::text,
  t_min_ms = round(t_min * 1000)::int8;
alter table slices alter column ts_ms_json set not null;
alter table slices alter column vals_json set not null;
alter table slices drop column if exists vals;
alter table slices drop column if exists ts;
alter table slices drop column if exists t_min;
alter table slices drop constraint if exists slices_data_id_fkey;
drop table if exists channel_totals;
`;
