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
  /** Channel name → points. A `Map` (or a null-prototype object) carries any name, `__proto__` too. */
  channels: Record<string, ChannelPoints> | Map<string, ChannelPoints>;
}

/**
 * What the server acknowledged for one slice. Any 2xx is an acknowledgement; fields its body did not
 * state are filled from the request, and `totalPoints` is null then.
 */
export interface ChunkResult {
  dataId: string;
  channelName: string;
  chunkIndex: number;
  /** Points now stored on the server for this channel, when the server said. */
  totalPoints: number | null;
}

/** `finalizeStream`'s answer: the ids the server sent back, or the request's id when its body was silent. */
export interface FinalizeStreamResult {
  dataId: string;
  processedDataId: string | null;
}

/** One channel (the platform says "property") as read back. */
export interface TimeseriesProperty {
  unixTimestampMs: Array<number | null>;
  relativeTimeSeconds: Array<number | null>;
  values: Array<number | null>;
  units: string | null;
}

export interface Timeseries {
  /** Channel name → its points; a null-prototype object, so any channel name is an own key. */
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
  /** The data item's tags, when the catalogue lists them. */
  tags: Array<{ id: string; name: string }>;
  projects: Array<{ id: string; name: string | null }>;
}

export interface ListDataEntriesParams {
  dataIds?: string[];
  status?: string;
  physicalSampleIds?: string[];
  projectIds?: string[];
}
