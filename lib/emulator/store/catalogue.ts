/** Growth instruments, physical samples, links, project tracking and the data catalogue (reference §4). */
import type { Database, Row } from "../database.js";
import type { DataEntryWire, GrowthInstrumentWire, PhysicalSampleWire } from "../../api/wire.js";
import type { CharSourceType } from "./streams.js";
import { tagsOf } from "./tags.js";

export const EXAMPLE_INSTRUMENT = {
  source_name: "Example MBE system",
  label: "MBE-1",
  synth_source_type: "mbe",
  source_manufacturer: "Example Instruments",
  source_model: "Demo 100",
} as const;

const iso = (value: unknown): string => (value instanceof Date ? value.toISOString() : new Date(String(value)).toISOString());

export class Catalogue {
  constructor(private readonly db: Database) {}

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
      `select s.*, p.name as physical_sample_name, g.source_name,
              greatest(s.last_updated, (select max(received_at) from slices x where x.data_id = s.data_id)) as last_written
       from streams s
       left join physical_samples p on p.id = s.physical_sample_id
       left join growth_instruments g on g.synth_source_id = s.synth_source_id
       order by s.upload_datetime, s.data_id`,
    );
    const tags = await tagsOf(this.db);
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
        last_updated: iso(r.last_written ?? r.last_updated),
        tags: tags.get(String(r.data_id)) ?? [],
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
