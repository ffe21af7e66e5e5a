/** The emulator's records and every query it runs. Storage-agnostic: PGlite and PostgreSQL alike. */
import type { Database, Queryable, Row } from "./database.js";
import { SCHEMA, SCHEMA_VERSION } from "./schema.js";
import type {
  ChunkResponse,
  DataEntryWire,
  GrowthInstrumentWire,
  PhysicalSampleWire,
  TimeseriesPropertiesWire,
} from "../api/wire.js";

export type CharSourceType = "metrology" | "tool_state";

export interface StreamRecord {
  data_id: string;
  processed_data_id: string;
  points_per_chunk: number;
  pipeline_status: string;
}

export interface SliceInput {
  channel_name: string;
  timestamps: number[];
  values: number[];
  units?: string | undefined;
}

export const EXAMPLE_INSTRUMENT = {
  source_name: "Example MBE system",
  label: "MBE-1",
  synth_source_type: "mbe",
  source_manufacturer: "Example Instruments",
  source_model: "Demo 100",
} as const;

const minOf = (xs: number[]): number | null => (xs.length === 0 ? null : xs.reduce((a, b) => (b < a ? b : a)));

const iso = (value: unknown): string => (value instanceof Date ? value.toISOString() : new Date(String(value)).toISOString());

/** A PostgreSQL array literal of float8s. JS prints the shortest exact form, so values round-trip bit for bit. */
const float8Array = (xs: number[]): string => `{${xs.join(",")}}`;

export class Store {
  constructor(readonly db: Database) {}

  /** Create tables if needed, seed a new database, and return the persisted API key (if any). */
  async migrate(): Promise<void> {
    await this.db.exec(SCHEMA);
    await this.db.query(
      `insert into emulator_settings (key, value) values ('schema_version', $1) on conflict (key) do nothing`,
      [String(SCHEMA_VERSION)],
    );
    const [seeded] = await this.db.query(`select value from emulator_settings where key = 'seeded'`);
    if (!seeded) {
      await this.db.transaction(async (tx) => {
        const i = EXAMPLE_INSTRUMENT;
        await tx.query(
          `insert into growth_instruments (source_name, label, synth_source_type, source_manufacturer, source_model)
           values ($1, $2, $3, $4, $5)`,
          [i.source_name, i.label, i.synth_source_type, i.source_manufacturer, i.source_model],
        );
        await tx.query(`insert into emulator_settings (key, value) values ('seeded', 'true')`);
      });
    }
  }

  async getSetting(key: string): Promise<string | undefined> {
    const [row] = await this.db.query<{ value: string }>(`select value from emulator_settings where key = $1`, [key]);
    return row?.value;
  }

  async setSetting(key: string, value: string): Promise<void> {
    await this.db.query(
      `insert into emulator_settings (key, value) values ($1, $2) on conflict (key) do update set value = excluded.value`,
      [key, value],
    );
  }

  // ---- streams ----

  async createStream(input: {
    points_per_chunk: number;
    stream_name: string;
    char_source_type: CharSourceType;
    synth_source_id: number | null;
    physical_sample_id: string | null;
    project_id: string | null;
  }): Promise<{ data_id: string; processed_data_id: string }> {
    const data_id = crypto.randomUUID();
    const processed_data_id = crypto.randomUUID();
    await this.db.query(
      `insert into streams (data_id, processed_data_id, char_source_type, stream_name, points_per_chunk,
                            synth_source_id, physical_sample_id, project_id, pipeline_status)
       values ($1, $2, $3, $4, $5, $6, $7, $8, 'stream_active')`,
      [
        data_id,
        processed_data_id,
        input.char_source_type,
        input.stream_name,
        input.points_per_chunk,
        input.synth_source_id,
        input.physical_sample_id,
        input.project_id,
      ],
    );
    return { data_id, processed_data_id };
  }

  async getStream(dataId: string): Promise<StreamRecord | undefined> {
    const [row] = await this.db.query<StreamRecord & Row>(
      `select data_id, processed_data_id, points_per_chunk, pipeline_status from streams where data_id = $1`,
      [dataId],
    );
    return row;
  }

  /** Store slices sharing one chunk index, atomically; each replaces whatever that key held. */
  async putSlices(dataId: string, chunkIndex: number, slices: SliceInput[]): Promise<ChunkResponse[]> {
    const write = async (tx: Queryable): Promise<ChunkResponse[]> => {
      const out: ChunkResponse[] = [];
      for (const s of slices) {
        // Lock the channel's total first: concurrent writers of one channel queue here, so the old size
        // read next is the committed one and the total stays exact (READ COMMITTED: fresh snapshot per statement).
        await tx.query(
          `insert into channel_totals (data_id, channel_name) values ($1, $2) on conflict (data_id, channel_name) do nothing`,
          [dataId, s.channel_name],
        );
        await tx.query(`select 1 from channel_totals where data_id = $1 and channel_name = $2 for update`, [dataId, s.channel_name]);
        const [old] = await tx.query<{ n_points: number }>(
          `select n_points from slices where data_id = $1 and channel_name = $2 and chunk_index = $3`,
          [dataId, s.channel_name, chunkIndex],
        );
        await tx.query(
          `insert into slices (data_id, channel_name, chunk_index, ts, vals, units, n_points, t_min)
           values ($1, $2, $3, $4::float8[], $5::float8[], $6, $7, $8)
           on conflict (data_id, channel_name, chunk_index) do update
             set ts = excluded.ts, vals = excluded.vals, units = excluded.units, n_points = excluded.n_points,
                 t_min = excluded.t_min, seq = excluded.seq, received_at = excluded.received_at`,
          [dataId, s.channel_name, chunkIndex, float8Array(s.timestamps), float8Array(s.values), s.units ?? null, s.values.length, minOf(s.timestamps)],
        );
        const [row] = await tx.query<{ total_points: number }>(
          `update channel_totals set total_points = total_points + $3 where data_id = $1 and channel_name = $2 returning total_points`,
          [dataId, s.channel_name, s.values.length - (old?.n_points ?? 0)],
        );
        out.push({ data_id: dataId, channel_name: s.channel_name, chunk_index: chunkIndex, total_points: Number(row?.total_points ?? 0) });
      }
      await tx.query(`update streams set last_updated = now() where data_id = $1`, [dataId]);
      return out;
    };
    return this.db.transaction(write);
  }

  /** Mark a stream finalized. Returns false if it already was. */
  async finalizeStream(dataId: string): Promise<boolean> {
    const rows = await this.db.query(
      `update streams set pipeline_status = 'success', finalized_at = now(), last_updated = now()
       where data_id = $1 and pipeline_status = 'stream_active' returning data_id`,
      [dataId],
    );
    return rows.length > 0;
  }

  /** The stream's points per channel, in the platform's property-centric shape. */
  async readTimeseries(dataId: string, lastN?: number): Promise<TimeseriesPropertiesWire> {
    const rows = await this.db.query<{ channel_name: string; ts: number[]; vals: number[]; units: string | null }>(
      `select channel_name, ts, vals, units from slices where data_id = $1 order by channel_name, chunk_index`,
      [dataId],
    );
    const [first] = await this.db.query<{ t0: number | null }>(
      `select min(t_min) as t0 from slices where data_id = $1`,
      [dataId],
    );
    const t0 = first?.t0 ?? 0;
    const byChannel = new Map<string, { ts: number[]; vals: number[]; units: string | null }>();
    for (const row of rows) {
      let acc = byChannel.get(row.channel_name);
      if (!acc) byChannel.set(row.channel_name, (acc = { ts: [], vals: [], units: null }));
      for (const t of row.ts) acc.ts.push(t);
      for (const v of row.vals) acc.vals.push(v);
    }
    // Units: the newest slice that named any wins.
    const units = await this.db.query<{ channel_name: string; units: string }>(
      `select distinct on (channel_name) channel_name, units from slices
       where data_id = $1 and units is not null order by channel_name, seq desc`,
      [dataId],
    );
    for (const u of units) {
      const acc = byChannel.get(u.channel_name);
      if (acc) acc.units = u.units;
    }
    const properties: TimeseriesPropertiesWire["properties"] = {};
    for (const [name, acc] of byChannel) {
      const from = lastN !== undefined ? Math.max(0, acc.ts.length - lastN) : 0;
      const ts = acc.ts.slice(from);
      properties[name] = {
        relative_time_seconds: ts.map((t) => t - t0),
        unix_timestamp_ms: ts.map((t) => t * 1000),
        values: acc.vals.slice(from),
        units: acc.units,
      };
    }
    return { properties };
  }

  // ---- growth instruments ----

  async listGrowthInstruments(): Promise<GrowthInstrumentWire[]> {
    const rows = await this.db.query(`select * from growth_instruments order by synth_source_id`);
    return rows.map(instrumentWire);
  }

  async getGrowthInstrument(id: number): Promise<GrowthInstrumentWire | undefined> {
    const [row] = await this.db.query(`select * from growth_instruments where synth_source_id = $1`, [id]);
    return row ? instrumentWire(row) : undefined;
  }

  async createGrowthInstrument(input: { name: string; label: string; type: string; serial_id: string | null }) {
    const [row] = await this.db.query(
      `insert into growth_instruments (source_name, label, synth_source_type, serial_id)
       values ($1, $2, $3, $4) returning *`,
      [input.name, input.label, input.type, input.serial_id],
    );
    return instrumentWire(row!);
  }

  // ---- physical samples, links, projects ----

  async listPhysicalSamples(filter: { id?: string | undefined; hasDataItem?: boolean | undefined }): Promise<PhysicalSampleWire[]> {
    const rows = await this.db.query(
      `select p.*, (select count(*) from streams s where s.physical_sample_id = p.id)::int8 as num_data_items
       from physical_samples p
       where ($1::text is null or p.id = $1)
       order by p.created_datetime, p.id`,
      [filter.id ?? null],
    );
    const samples = rows.map(sampleWire);
    if (filter.hasDataItem === undefined) return samples;
    return samples.filter((s) => ((s.num_data_items ?? 0) > 0) === filter.hasDataItem);
  }

  async getPhysicalSample(id: string): Promise<PhysicalSampleWire | undefined> {
    const [row] = await this.listPhysicalSamples({ id });
    return row;
  }

  async createPhysicalSample(input: { name: string | null; growth_instrument_id: number | null; sample_id: string | null }) {
    const [row] = await this.db.query(
      `insert into physical_samples (id, name, growth_instrument_id, sample_id) values ($1, $2, $3, $4)
       returning *, 0::int8 as num_data_items`,
      [crypto.randomUUID(), input.name, input.growth_instrument_id, input.sample_id],
    );
    const sample = sampleWire(row!);
    return { ...sample, version: Number(row!.version), user_id: "emulator", sample_id: input.sample_id, physical_sample_metadata: null };
  }

  /** Returns the ids among `dataIds` that do not exist (nothing is linked then). */
  async linkPhysicalSample(dataIds: string[], physicalSampleId: string): Promise<string[]> {
    return this.db.transaction(async (tx) => {
      const missing: string[] = [];
      for (const id of dataIds) {
        const found = await tx.query(`select 1 from streams where data_id = $1`, [id]);
        if (found.length === 0) missing.push(id);
      }
      if (missing.length > 0) return missing;
      for (const id of dataIds) {
        await tx.query(`update streams set physical_sample_id = $2, last_updated = now() where data_id = $1`, [id, physicalSampleId]);
      }
      return [];
    });
  }

  async trackSampleInProject(projectId: string, physicalSampleId: string, setActive: boolean) {
    await this.db.transaction(async (tx) => {
      if (setActive) await tx.query(`update project_tracking set is_active = false where project_id = $1`, [projectId]);
      await tx.query(
        `insert into project_tracking (project_id, physical_sample_id, is_active) values ($1, $2, $3)
         on conflict (project_id, physical_sample_id) do update set is_active = excluded.is_active or project_tracking.is_active`,
        [projectId, physicalSampleId, setActive],
      );
    });
    return this.projectConfiguration(projectId);
  }

  async projectConfiguration(projectId: string) {
    const rows = await this.db.query<{ physical_sample_id: string; is_active: boolean }>(
      `select physical_sample_id, is_active from project_tracking where project_id = $1 order by added_at, physical_sample_id`,
      [projectId],
    );
    return {
      project_id: projectId,
      tracking_physical_sample_ids: rows.map((r) => r.physical_sample_id),
      active_tracking_physical_sample_id: rows.find((r) => r.is_active)?.physical_sample_id ?? null,
    };
  }

  // ---- data catalogue ----

  async listDataEntries(filter: {
    dataIds: string[];
    physicalSampleIds: string[];
    projectIds: string[];
    status?: string | undefined;
    dataType?: string | undefined;
  }): Promise<DataEntryWire[]> {
    const rows = await this.db.query(
      `select s.*, p.name as physical_sample_name, g.source_name
       from streams s
       left join physical_samples p on p.id = s.physical_sample_id
       left join growth_instruments g on g.synth_source_id = s.synth_source_id
       order by s.upload_datetime, s.data_id`,
    );
    const has = (list: string[], value: unknown) => list.length === 0 || list.includes(String(value));
    return rows
      .filter(
        (r) =>
          has(filter.dataIds, r.data_id) &&
          has(filter.physicalSampleIds, r.physical_sample_id) &&
          has(filter.projectIds, r.project_id) &&
          (filter.status === undefined || r.pipeline_status === filter.status) &&
          (filter.dataType === undefined || r.char_source_type === filter.dataType || (filter.dataType === "metrology" && r.char_source_type === "tool_state")),
      )
      .map((r) => ({
        data_id: String(r.data_id),
        raw_name: String(r.stream_name),
        char_source_type: r.char_source_type as CharSourceType,
        pipeline_status: String(r.pipeline_status),
        physical_sample_id: (r.physical_sample_id as string | null) ?? null,
        physical_sample_name: (r.physical_sample_name as string | null) ?? null,
        synth_source_id: r.synth_source_id == null ? null : Number(r.synth_source_id),
        source_name: (r.source_name as string | null) ?? null,
        upload_datetime: iso(r.upload_datetime),
        last_updated: iso(r.last_updated),
        projects: r.project_id ? [{ id: String(r.project_id), name: null }] : [],
      }));
  }
}

function instrumentWire(r: Row): GrowthInstrumentWire {
  return {
    synth_source_id: Number(r.synth_source_id),
    source_name: String(r.source_name),
    synth_source_type: String(r.synth_source_type),
    source_manufacturer: (r.source_manufacturer as string | null) ?? null,
    source_model: (r.source_model as string | null) ?? null,
    label: String(r.label),
    serial_id: (r.serial_id as string | null) ?? null,
    last_updated: iso(r.last_updated),
  };
}

function sampleWire(r: Row): PhysicalSampleWire {
  return {
    id: String(r.id),
    name: (r.name as string | null) ?? null,
    created_datetime: iso(r.created_datetime),
    last_updated: iso(r.last_updated),
    num_data_items: Number(r.num_data_items ?? 0),
    growth_instrument_id: r.growth_instrument_id == null ? null : Number(r.growth_instrument_id),
  };
}
