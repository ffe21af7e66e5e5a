import { chunkBodyText, chunkMultiBodyText } from "./body.js";
import { chunkResult, isObject } from "./lenient.js";
import { dataEntry, growthInstrument, physicalSample } from "./mappers.js";
import { resolveClientOptions, type AtomscaleClientOptions, type StreamPrefix } from "./options.js";
import { kyRequests, type Request } from "./requests.js";
import { attachTags } from "./tags.js";
import { normalizeTimeseries } from "./timeseries.js";
import { directUploads, postUpload, type DirectUploads } from "./upload.js";
import type {
  ChunkResult,
  CreateGrowthInstrumentParams,
  CreatePhysicalSampleParams,
  DataEntry,
  FinalizeStreamResult,
  GetTimeseriesOptions,
  GrowthInstrument,
  IngestChunkMultiParams,
  IngestChunkParams,
  InitializeStreamParams,
  LinkPhysicalSampleParams,
  ListDataEntriesParams,
  ListPhysicalSamplesParams,
  PhysicalSample,
  StreamIds,
  Timeseries,
  TrackSampleInProjectParams,
} from "./types.js";
import type {
  DataEntryWire,
  GrowthInstrumentWire,
  PhysicalSampleWire,
  StreamIdsResponse,
  TimeseriesPropertiesWire,
  TimeseriesSeriesWire,
} from "./wire.js";

export { normalizeTimeseries };
export { DEFAULT_ENDPOINT, DEFAULT_STREAM_PREFIX } from "./options.js";
export type { AtomscaleClientOptions, StreamPrefix } from "./options.js";

/**
 * A typed client of the Atomscale API: one method per documented endpoint the streamer needs.
 * camelCase here, the documented snake_case names on the wire. Every failure is an {@link ApiError}.
 *
 * @example
 * const client = new AtomscaleClient({ apiKey, endpoint: "http://127.0.0.1:8765" });
 * const { dataId } = await client.initializeStream({ pointsPerChunk: 100, streamName: "MBE run" });
 */
export class AtomscaleClient {
  readonly endpoint: string;
  readonly streamPrefix: StreamPrefix;
  #apiKey: string;
  /** Requests through ky (requests.ts). */
  readonly #request: Request;
  /** Chunk uploads straight through the runtime's transport when ky has nothing to add (no hooks, no retry; upload.ts). */
  readonly #direct: DirectUploads | undefined;

  constructor(options: AtomscaleClientOptions) {
    const { endpoint, streamPrefix, timeoutMs } = resolveClientOptions(options);
    this.endpoint = endpoint;
    this.streamPrefix = streamPrefix;
    this.#apiKey = options.apiKey;
    this.#direct = directUploads(options, timeoutMs);
    this.#request = kyRequests(options, endpoint, timeoutMs, () => this.#apiKey);
  }

  /** Replace the API key, e.g. after a 401; later requests use the new one. */
  setApiKey(apiKey: string): void {
    if (typeof apiKey !== "string" || apiKey.trim() === "") {
      throw new TypeError("AtomscaleClient.setApiKey: apiKey must be a non-empty string.");
    }
    this.#apiKey = apiKey;
  }

  // ---- stream ingest (reference §1) ----

  async initializeStream(params: InitializeStreamParams, signal?: AbortSignal): Promise<StreamIds> {
    const body: Record<string, unknown> = {
      points_per_chunk: params.pointsPerChunk,
      stream_name: params.streamName ?? null,
      project_id: params.projectId ?? null,
    };
    if (params.synthSourceId != null) body.synth_source_id = params.synthSourceId;
    if (params.physicalSampleId != null) body.physical_sample_id = params.physicalSampleId;
    const res = await this.#request<StreamIdsResponse>("POST", `${this.#streamPath()}/stream/initialize`, { json: body, signal });
    return { dataId: res.data_id, processedDataId: res.processed_data_id };
  }

  async ingestChunk(params: IngestChunkParams, signal?: AbortSignal): Promise<ChunkResult> {
    const body = chunkBodyText(params.dataId, params.chunkIndex, params.channelName, params);
    const res = await this.#ingest(`${this.#streamPath()}/stream/chunk`, body, signal);
    return chunkResult(res, params.dataId, params.chunkIndex, params.channelName);
  }

  /**
   * One request for several channels of one chunk index. `channels` may be a `Map` or an object;
   * any channel name travels, `__proto__` and `constructor` included.
   */
  async ingestChunkMulti(params: IngestChunkMultiParams, signal?: AbortSignal): Promise<ChunkResult[]> {
    // Written as text: a channel named `__proto__` is a key like any other.
    const entries = params.channels instanceof Map ? [...params.channels] : Object.entries(params.channels);
    const body = chunkMultiBodyText(params.dataId, params.chunkIndex, entries);
    const res = await this.#ingest(`${this.#streamPath()}/stream/chunk/multi`, body, signal);
    const answered = Array.isArray(res) ? res : [];
    return entries.map(([name], i) => chunkResult(answered[i], params.dataId, params.chunkIndex, name));
  }

  /** Any 2xx answer acknowledges the finalize, whatever its body (the SDK checks only the status). */
  async finalizeStream(dataId: string, signal?: AbortSignal): Promise<FinalizeStreamResult> {
    const res = await this.#request<unknown>(
      "POST",
      `${this.#streamPath()}/stream/${encodeURIComponent(dataId)}/finalize`,
      { signal, lenient: true },
    );
    const ids = isObject(res) ? res : {};
    return {
      dataId: typeof ids.data_id === "string" ? ids.data_id : dataId,
      processedDataId: typeof ids.processed_data_id === "string" ? ids.processed_data_id : null,
    };
  }

  // ---- read side (reference §2.1) ----

  /** Read a stream back. Accepts the current `properties` shape and the legacy `series` shape. */
  async getTimeseries(dataId: string, options: GetTimeseriesOptions = {}): Promise<Timeseries | null> {
    const searchParams: Record<string, string> = {};
    if (options.lastN !== undefined) searchParams.last_n = String(options.lastN);
    if (options.returnNullIfMissing) searchParams.return_null_if_missing = "true";
    const res = await this.#request<TimeseriesPropertiesWire | TimeseriesSeriesWire | null>(
      "GET",
      `${this.#streamPath()}/${encodeURIComponent(dataId)}/timeseries/`,
      { searchParams, signal: options.signal },
    );
    return res == null ? null : normalizeTimeseries(res);
  }

  // ---- instruments, samples, projects, catalogue (reference §4) ----

  async listGrowthInstruments(signal?: AbortSignal): Promise<GrowthInstrument[]> {
    const res = await this.#request<GrowthInstrumentWire[] | null>("GET", "instruments/synthesis", { signal });
    return (res ?? []).map(growthInstrument);
  }

  async createGrowthInstrument(params: CreateGrowthInstrumentParams, signal?: AbortSignal): Promise<GrowthInstrument> {
    const json = { name: params.name, label: params.label, type: params.type, serial_id: params.serialId ?? null };
    // No trailing slash: the SDK posts to `/instruments/synthesis`.
    return growthInstrument(await this.#request<GrowthInstrumentWire>("POST", "instruments/synthesis", { json, signal }));
  }

  async listPhysicalSamples(params: ListPhysicalSamplesParams = {}, signal?: AbortSignal): Promise<PhysicalSample[]> {
    const searchParams: Record<string, string> = {};
    if (params.physicalSampleId) searchParams.physical_sample_id = params.physicalSampleId;
    if (params.hasDataItem !== undefined) searchParams.has_data_item = String(params.hasDataItem);
    const res = await this.#request<PhysicalSampleWire[] | null>("GET", "physical_samples/", { searchParams, signal });
    return (res ?? []).map(physicalSample);
  }

  async createPhysicalSample(params: CreatePhysicalSampleParams, signal?: AbortSignal): Promise<PhysicalSample> {
    const json: Record<string, unknown> = { name: params.name ?? null };
    if (params.growthInstrumentId != null) json.growth_instrument_id = params.growthInstrumentId;
    if (params.sampleId != null) json.sample_id = params.sampleId;
    return physicalSample(await this.#request<PhysicalSampleWire>("POST", "physical_samples/", { json, signal }));
  }

  async linkPhysicalSample(params: LinkPhysicalSampleParams, signal?: AbortSignal): Promise<void> {
    const json = { data_ids: params.dataIds, physical_sample_id: params.physicalSampleId };
    await this.#request<unknown>("POST", "data_entries/physical_sample", { json, signal });
  }

  async trackSampleInProject(params: TrackSampleInProjectParams, signal?: AbortSignal): Promise<void> {
    const json = { physical_sample_id: params.physicalSampleId, set_active: params.setActive ?? true };
    await this.#request<unknown>(
      "POST",
      `projects/${encodeURIComponent(params.projectId)}/configuration/tracking_samples`,
      { json, signal },
    );
  }

  async listDataEntries(params: ListDataEntriesParams = {}, signal?: AbortSignal): Promise<DataEntry[]> {
    const searchParams = new URLSearchParams();
    for (const id of params.dataIds ?? []) searchParams.append("data_ids", id);
    for (const id of params.physicalSampleIds ?? []) searchParams.append("physical_sample_ids", id);
    for (const id of params.projectIds ?? []) searchParams.append("project_ids", id);
    if (params.status) searchParams.set("status", params.status);
    const res = await this.#request<DataEntryWire[] | null>("GET", "data_entries/", { searchParams, signal });
    return (res ?? []).map(dataEntry);
  }

  /**
   * Attach tags to a data item, as the SDK's `initialize(tags=…)` does: names are trimmed, empties dropped,
   * duplicates (case-insensitive) removed; a UUID must name an existing tag; a name matches an existing
   * tag case-insensitively or a new tag is created (`POST /tags/`); then `POST /tags/data-items/`.
   */
  attachTags(dataId: string, names: string[], signal?: AbortSignal): Promise<void> {
    return attachTags(this.#request, dataId, names, signal);
  }

  // ---- plumbing ----

  #streamPath(): string {
    return this.streamPrefix.slice(1);
  }

  /** POST a chunk upload, its JSON already written as text: straight through the transport (upload.ts), else through ky. */
  #ingest(path: string, body: string, signal: AbortSignal | undefined): Promise<unknown> {
    if (!this.#direct) return this.#request<unknown>("POST", path, { body, signal, lenient: true });
    return postUpload(this.#direct, this.endpoint, path, this.#apiKey, body, signal);
  }
}
