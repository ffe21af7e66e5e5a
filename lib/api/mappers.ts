/** Wire (snake_case) records → the client's camelCase ones. */
import type { DataEntry, GrowthInstrument, PhysicalSample } from "./types.js";
import type { DataEntryWire, GrowthInstrumentWire, PhysicalSampleWire } from "./wire.js";

export function growthInstrument(w: GrowthInstrumentWire): GrowthInstrument {
  return {
    synthSourceId: w.synth_source_id,
    sourceName: w.source_name,
    synthSourceType: w.synth_source_type,
    sourceManufacturer: w.source_manufacturer ?? null,
    sourceModel: w.source_model ?? null,
    label: w.label,
    serialId: w.serial_id,
  };
}

export function physicalSample(w: PhysicalSampleWire & { physical_sample_id?: string }): PhysicalSample {
  return {
    id: w.id ?? w.physical_sample_id,
    name: w.name ?? null,
    createdDatetime: w.created_datetime,
    lastUpdated: w.last_updated,
    numDataItems: w.num_data_items,
    growthInstrumentId: w.growth_instrument_id,
  };
}

export function dataEntry(w: DataEntryWire): DataEntry {
  return {
    dataId: w.data_id,
    rawName: w.raw_name,
    charSourceType: w.char_source_type,
    pipelineStatus: w.pipeline_status,
    physicalSampleId: w.physical_sample_id,
    physicalSampleName: w.physical_sample_name,
    synthSourceId: w.synth_source_id,
    sourceName: w.source_name,
    uploadDatetime: w.upload_datetime,
    lastUpdated: w.last_updated,
    tags: (w.tags ?? []).map((t) => ({ id: t.id, name: t.name })),
    projects: w.projects ?? [],
  };
}
