/**
 * The Atomscale API's JSON shapes exactly as they travel on the wire (snake_case).
 * Shared by the client (which maps them to camelCase) and the emulator (which produces them).
 * Field-by-field source: shared/reference/atomscale-api.md §1, §2.1, §4.
 */

/** `POST {prefix}/stream/initialize` body. */
export interface InitializeStreamBody {
  points_per_chunk: number;
  stream_name?: string | null;
  synth_source_id?: number | null;
  physical_sample_id?: string | null;
  project_id?: string | null;
}

/** `POST {prefix}/stream/initialize` and `POST {prefix}/stream/{data_id}/finalize` response. */
export interface StreamIdsResponse {
  data_id: string;
  processed_data_id: string;
}

/** One channel's points inside `chunk/multi`. */
export interface ChannelPointsBody {
  timestamps: number[];
  values: number[];
  units?: string;
}

/** `POST {prefix}/stream/chunk` body. */
export interface ChunkBody extends ChannelPointsBody {
  data_id: string;
  chunk_index: number;
  channel_name: string;
}

/** `POST {prefix}/stream/chunk/multi` body. */
export interface ChunkMultiBody {
  data_id: string;
  chunk_index: number;
  channels: Record<string, ChannelPointsBody>;
}

/** `POST {prefix}/stream/chunk` response; `chunk/multi` answers an array of these. */
export interface ChunkResponse {
  data_id: string;
  channel_name: string;
  chunk_index: number;
  total_points: number;
}

/**
 * One property of `GET {prefix}/{data_id}/timeseries/` in the current, property-centric shape.
 * The platform keeps timestamps as DECIMAL(13,3) seconds, so `unix_timestamp_ms` holds whole
 * milliseconds — as numbers, or as numeric strings (a Decimal serialised as text).
 */
export interface TimeseriesPropertyWire {
  relative_time_seconds: Array<number | string | null>;
  unix_timestamp_ms: Array<number | string | null>;
  values: Array<number | string | null>;
  units: string | null;
}

/** `GET {prefix}/{data_id}/timeseries/`, current shape. */
export interface TimeseriesPropertiesWire {
  properties: Record<string, TimeseriesPropertyWire>;
}

/** `GET {prefix}/{data_id}/timeseries/`, legacy row-oriented shape (still accepted by the client). */
export interface TimeseriesSeriesWire {
  series: Array<Record<string, number | string | null>>;
}

/** `GET /instruments/synthesis` item. */
export interface GrowthInstrumentWire {
  synth_source_id: number;
  source_name: string;
  synth_source_type: string;
  source_manufacturer: string | null;
  source_model: string | null;
  label?: string;
  serial_id?: string | null;
  last_updated?: string;
}

/** `POST /instruments/synthesis/` body. */
export interface CreateGrowthInstrumentBody {
  name: string;
  label: string;
  type: "mbe" | "pvd" | "sputter" | "cvd" | "ald" | "pld";
  serial_id?: string | null;
}

/** `GET /physical_samples/` item (the fields a streamer uses, plus bookkeeping). */
export interface PhysicalSampleWire {
  id: string;
  name: string | null;
  created_datetime: string;
  last_updated: string;
  num_data_items?: number;
  growth_instrument_id?: number | null;
}

/** `POST /physical_samples/` body. */
export interface CreatePhysicalSampleBody {
  name?: string | null;
  growth_instrument_id?: number | null;
  sample_id?: string | null;
}

/** `POST /data_entries/physical_sample` body. */
export interface LinkPhysicalSampleBody {
  data_ids: string[];
  physical_sample_id: string;
}

/** `POST /projects/{project_id}/configuration/tracking_samples` body. */
export interface TrackingSampleBody {
  physical_sample_id: string;
  set_active: boolean;
}

/** `GET /data_entries/` item (the fields the emulator fills). */
export interface DataEntryWire {
  data_id: string;
  raw_name: string;
  char_source_type: "metrology" | "tool_state";
  pipeline_status: string;
  physical_sample_id: string | null;
  physical_sample_name: string | null;
  synth_source_id: number | null;
  source_name: string | null;
  upload_datetime: string;
  last_updated: string;
  /** The data item's tags (the emulator fills it; the platform's catalogue lists `tags` too). */
  tags?: TagWire[];
  projects: Array<{ id: string; name: string | null }>;
}

/** `GET /tags/` item and `POST /tags/` response. */
export interface TagWire {
  id: string;
  name: string;
}

/** `POST /tags/` body. */
export interface CreateTagBody {
  name: string;
}

/** `POST /tags/data-items/` body: every tag is attached to every data item. */
export interface AttachTagsBody {
  data_ids: string[];
  tag_ids: string[];
}

/** FastAPI's validation error item (`422 {"detail": [...]}`). */
export interface ValidationErrorItem {
  type: string;
  loc: Array<string | number>;
  msg: string;
  input: unknown;
  ctx?: Record<string, unknown>;
}
