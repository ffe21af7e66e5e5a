/** The client's camelCase view of the API. Wire names live in ./wire.ts. */

/** Numbers as a plain array or a typed array; the client sends both as JSON arrays. */
export type NumberArray = ArrayLike<number>;

export interface InitializeStreamParams {
  /** Points per chunk, fixed for the stream's life; must be > 0. */
  pointsPerChunk: number;
  streamName?: string | null;
  /** Growth instrument id (from `listGrowthInstruments()`). */
  synthSourceId?: number | null;
  /** UUID of an existing physical sample. */
  physicalSampleId?: string | null;
  /** UUID of a project. */
  projectId?: string | null;
}

export interface StreamIds {
  dataId: string;
  processedDataId: string;
}

export interface ChannelPoints {
  timestamps: NumberArray;
  values: NumberArray;
  units?: string | undefined;
}

export interface IngestChunkParams extends ChannelPoints {
  dataId: string;
  chunkIndex: number;
  channelName: string;
}

export interface IngestChunkMultiParams {
  dataId: string;
  chunkIndex: number;
  channels: Record<string, ChannelPoints>;
}

export interface ChunkResult {
  dataId: string;
  channelName: string;
  chunkIndex: number;
  /** Points now stored on the server for this channel. */
  totalPoints: number;
}

/** One channel (the platform says "property") as read back. */
export interface TimeseriesProperty {
  unixTimestampMs: Array<number | null>;
  relativeTimeSeconds: Array<number | null>;
  values: Array<number | null>;
  units: string | null;
}

export interface Timeseries {
  properties: Record<string, TimeseriesProperty>;
}

export interface GetTimeseriesOptions {
  /** Only the last N points of each property. */
  lastN?: number;
  /** Answer `null` instead of throwing a 404 when the data id is unknown. */
  returnNullIfMissing?: boolean;
  signal?: AbortSignal;
}

export interface GrowthInstrument {
  synthSourceId: number;
  sourceName: string;
  synthSourceType: string;
  sourceManufacturer: string | null;
  sourceModel: string | null;
  label?: string | undefined;
  serialId?: string | null | undefined;
}

export interface CreateGrowthInstrumentParams {
  name: string;
  label: string;
  type: "mbe" | "pvd" | "sputter" | "cvd" | "ald" | "pld";
  serialId?: string | null;
}

export interface PhysicalSample {
  id: string;
  name: string | null;
  createdDatetime: string;
  lastUpdated: string;
  numDataItems?: number | undefined;
  growthInstrumentId?: number | null | undefined;
}

export interface ListPhysicalSamplesParams {
  physicalSampleId?: string;
  hasDataItem?: boolean;
}

export interface CreatePhysicalSampleParams {
  name?: string | null;
  growthInstrumentId?: number | null;
  sampleId?: string | null;
}

export interface LinkPhysicalSampleParams {
  dataIds: string[];
  physicalSampleId: string;
}

export interface TrackSampleInProjectParams {
  projectId: string;
  physicalSampleId: string;
  /** Mark it the project's active tracking sample. @default true */
  setActive?: boolean;
}

export interface DataEntry {
  dataId: string;
  rawName: string;
  charSourceType: "metrology" | "tool_state";
  pipelineStatus: string;
  physicalSampleId: string | null;
  physicalSampleName: string | null;
  synthSourceId: number | null;
  sourceName: string | null;
  uploadDatetime: string;
  lastUpdated: string;
  projects: Array<{ id: string; name: string | null }>;
}

export interface ListDataEntriesParams {
  dataIds?: string[];
  status?: string;
  physicalSampleIds?: string[];
  projectIds?: string[];
}
