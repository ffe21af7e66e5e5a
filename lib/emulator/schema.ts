/** The emulator's schema: one set of SQL for PGlite and PostgreSQL. Idempotent; run at every start. */
export const SCHEMA_VERSION = 1;

export const SCHEMA = `
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

-- One row per (data_id, channel_name, chunk_index): the platform's unit of idempotency.
-- Point i of a row sits at position chunk_index * points_per_chunk + i.
create table if not exists slices (
  data_id text not null references streams (data_id) on delete cascade,
  channel_name text not null,
  chunk_index bigint not null,
  ts float8[] not null,
  vals float8[] not null,
  units text,
  n_points integer not null,
  t_min float8,
  seq bigint not null default nextval('slice_seq'),
  received_at timestamptz not null default now(),
  primary key (data_id, channel_name, chunk_index)
);

-- Points stored per channel, kept with every write so total_points is O(1).
create table if not exists channel_totals (
  data_id text not null references streams (data_id) on delete cascade,
  channel_name text not null,
  total_points bigint not null default 0,
  primary key (data_id, channel_name)
);

create table if not exists project_tracking (
  project_id text not null,
  physical_sample_id text not null references physical_samples (id),
  is_active boolean not null default false,
  added_at timestamptz not null default now(),
  primary key (project_id, physical_sample_id)
);
`;
