import { defaultTransport } from "#transport";
import type { Hooks, KyInstance, Options as KyOptions, RetryOptions } from "ky";
import { ApiError, parseRetryAfter } from "./errors.js";
import { chunkBodyText, chunkMultiBodyText } from "./body.js";
import { chunkResult, isObject, parseLeniently } from "./lenient.js";
import { dataEntry, growthInstrument, physicalSample } from "./mappers.js";
import { normalizeTimeseries } from "./timeseries.js";
import { fetchTransport, type Transport, type TransportResponse } from "./transport.js";
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

export const DEFAULT_ENDPOINT = "https://api.atomscale.ai";
export type StreamPrefix = "/metrology" | "/tool-state";
/** The platform's current stream prefix (the SDK's newest streaming core uses it). */
export const DEFAULT_STREAM_PREFIX: StreamPrefix = "/tool-state";

export interface AtomscaleClientOptions {
  /** Sent as `X-API-KEY` on every request. */
  apiKey: string;
  /** @default "https://api.atomscale.ai" */
  endpoint?: string;
  /**
   * Path prefix of the stream endpoints. The platform renamed metrology → tool-state and serves
   * `/metrology` only as a deprecated alias. @default "/tool-state"
   */
  streamPrefix?: StreamPrefix;
  /** Per-request timeout in milliseconds (false: none). @default 30000 */
  timeoutMs?: number | false;
  /** ky's retry option. The uploader does its own retrying, so the client does none by default. @default 0 */
  retry?: RetryOptions | number;
  /** A `fetch` to use instead of the global one (tests, proxies, instrumentation). Chunk uploads then go through it too. */
  fetch?: typeof fetch;
  /**
   * How chunk uploads travel when no `fetch` is given: by default a keep-alive `node:http` agent under
   * Node and `fetch` everywhere else (package.json "imports", `#transport`). Other requests use `fetch`.
   */
  transport?: Transport;
  /** ky hooks, e.g. for logging. The API key is added before these run. */
  hooks?: Hooks;
}

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
  /**
   * ky, imported at the first request that is not an upload: its module reads `globalThis.Request`,
   * which makes Node load its fetch implementation (about 9 MB of memory) — a process that only uploads
   * (through the node:http transport) never needs it.
   */
  #http: Promise<{ ky: typeof import("ky"); http: KyInstance }> | undefined;
  readonly #kyOptions: KyOptions;
  /** The ingest requests go straight through fetch when ky has nothing to add (no hooks, no retry). */
  readonly #direct: { transport: Transport; timeoutMs: number | false } | undefined;

  constructor(options: AtomscaleClientOptions) {
    if (typeof options?.apiKey !== "string" || options.apiKey.trim() === "") {
      throw new TypeError("AtomscaleClient: apiKey must be a non-empty string (the X-API-KEY of your account).");
    }
    const prefix = options.streamPrefix ?? DEFAULT_STREAM_PREFIX;
    if (prefix !== "/metrology" && prefix !== "/tool-state") {
      throw new TypeError(`AtomscaleClient: streamPrefix must be "/metrology" or "/tool-state", got ${JSON.stringify(prefix)}.`);
    }
    const endpoint = (options.endpoint ?? DEFAULT_ENDPOINT).replace(/\/+$/, "");
    try {
      new URL(endpoint);
    } catch (cause) {
      throw new TypeError(`AtomscaleClient: endpoint must be an absolute URL, got ${JSON.stringify(options.endpoint)}.`, { cause });
    }
    this.endpoint = endpoint;
    this.streamPrefix = prefix;
    this.#apiKey = options.apiKey;
    const userHooks = options.hooks ?? {};
    const timeoutMs = options.timeoutMs ?? 30_000;
    if (options.hooks === undefined && (options.retry ?? 0) === 0 && (timeoutMs === false || timeoutMs <= MAX_TIMEOUT_MS)) {
      const transport = options.fetch ? fetchTransport(options.fetch) : (options.transport ?? defaultTransport);
      this.#direct = { transport, timeoutMs };
    }
    this.#kyOptions = {
      prefixUrl: endpoint,
      timeout: timeoutMs,
      retry: options.retry ?? 0,
      ...(options.fetch ? { fetch: options.fetch } : {}),
      hooks: {
        ...userHooks,
        beforeRequest: [
          (request) => {
            request.headers.set("X-API-KEY", this.#apiKey);
          },
          ...(userHooks.beforeRequest ?? []),
        ],
      },
    };
  }

  #ky(): Promise<{ ky: typeof import("ky"); http: KyInstance }> {
    return (this.#http ??= import("ky").then((ky) => ({ ky, http: ky.default.create(this.#kyOptions) })));
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

  // ---- plumbing ----

  #streamPath(): string {
    return this.streamPrefix.slice(1);
  }

  /**
   * POST a slice (the hot path: one request per chunk), its JSON already written as text. Through ky when
   * hooks or retries are configured; otherwise straight through the runtime's transport (transport.ts),
   * with the same URL, headers, timeout and ApiErrors — ky's per-request Request clone (a tee of the body
   * stream) and timeout wrapper cost more CPU than the request itself on a fast link.
   */
  async #ingest(path: string, body: string, signal: AbortSignal | undefined): Promise<unknown> {
    const direct = this.#direct;
    if (!direct) return this.#request<unknown>("POST", path, { body, signal, lenient: true });
    const shownPath = `/${path}`;
    const timeout = direct.timeoutMs === false ? undefined : new AbortController();
    const timer = timeout && setTimeout(() => timeout.abort(), direct.timeoutMs as number);
    const signals = [signal, timeout?.signal].filter((s): s is AbortSignal => s !== undefined);
    let response: TransportResponse;
    try {
      response = await direct.transport({
        url: `${this.endpoint}/${path}`,
        headers: { "content-type": "application/json", "X-API-KEY": this.#apiKey },
        body,
        signal: signals.length === 0 ? undefined : signals.length === 1 ? signals[0] : AbortSignal.any(signals),
      });
    } catch (error) {
      if (timeout?.signal.aborted && !signal?.aborted) {
        const cause = new Error(`No response within ${direct.timeoutMs} ms.`, { cause: error });
        throw new ApiError({ method: "POST", path: shownPath, code: "timeout", cause });
      }
      if (error instanceof Error && error.name === "AbortError") throw error; // the caller's own abort
      throw new ApiError({ method: "POST", path: shownPath, code: "network", cause: error });
    } finally {
      clearTimeout(timer);
    }
    if (response.status < 200 || response.status > 299) {
      throw errorOf(response.status, response.text, response.header("retry-after"), "POST", shownPath, undefined);
    }
    // Any 2xx acknowledges: the body is read if it can be, and never turns an ack into a failure.
    return parseLeniently(response.text);
  }

  async #request<T>(
    method: "GET" | "POST",
    path: string,
    init: {
      json?: unknown;
      /** A JSON body already written as text. */
      body?: string;
      searchParams?: Record<string, string> | URLSearchParams;
      signal?: AbortSignal | undefined;
      /** A 2xx is an acknowledgement whatever its body: an unreadable one reads as null. */
      lenient?: boolean;
    },
  ): Promise<T> {
    const shownPath = `/${path}`;
    let response: Response;
    const { ky, http } = await this.#ky();
    try {
      response = await http(path, {
        method,
        ...(init.json !== undefined ? { json: init.json } : {}),
        ...(init.body !== undefined ? { body: init.body, headers: { "content-type": "application/json" } } : {}),
        ...(init.searchParams ? { searchParams: init.searchParams } : {}),
        ...(init.signal ? { signal: init.signal } : {}),
      });
    } catch (error) {
      throw await toApiError(ky, error, method, shownPath);
    }
    if (init.lenient) return parseLeniently(await response.text().catch(() => "")) as T;
    const text = await response.text();
    if (text === "") return null as T;
    try {
      return JSON.parse(text) as T;
    } catch (cause) {
      throw new ApiError({ method, path: shownPath, status: response.status, body: text, code: "bad_response", classification: "transient", cause });
    }
  }

  /**
   * Attach tags to a data item, as the SDK's `initialize(tags=…)` does: names are trimmed, empties dropped,
   * duplicates (case-insensitive) removed; a UUID must name an existing tag; a name matches an existing
   * tag case-insensitively or a new tag is created (`POST /tags/`); then `POST /tags/data-items/`.
   */
  async attachTags(dataId: string, names: string[], signal?: AbortSignal): Promise<void> {
    const wanted: string[] = [];
    const seen = new Set<string>();
    for (const raw of names) {
      const name = raw.trim();
      if (name === "" || seen.has(name.toLowerCase())) continue;
      seen.add(name.toLowerCase());
      wanted.push(name);
    }
    if (wanted.length === 0) return;
    const existing = (await this.#request<Array<{ id: string; name: string }> | null>("GET", "tags/", { signal })) ?? [];
    const tagIds: string[] = [];
    for (const name of wanted) {
      if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(name)) {
        const found = existing.find((t) => t.id.toLowerCase() === name.toLowerCase());
        if (!found) {
          throw new ApiError({ method: "GET", path: "/tags/", status: 404, detail: `tag with id '${name}' not found`, classification: "permanent" });
        }
        tagIds.push(found.id);
        continue;
      }
      const found = existing.find((t) => (t.name ?? "").toLowerCase() === name.toLowerCase());
      if (found) tagIds.push(found.id);
      else {
        const created = await this.#request<{ id: string }>("POST", "tags/", { json: { name }, signal });
        existing.push({ id: created.id, name });
        tagIds.push(created.id);
      }
    }
    await this.#request<unknown>("POST", "tags/data-items/", { json: { data_ids: [dataId], tag_ids: tagIds }, signal });
  }
}

/** ky's largest timeout (setTimeout's limit); a larger one goes through ky, which refuses it. */
const MAX_TIMEOUT_MS = 2_147_483_647;

/** The ApiError of a non-2xx response: the server's `detail` (or raw text), Retry-After, status. */
async function httpError(response: Response, method: string, path: string, cause: unknown): Promise<ApiError> {
  const text = await response.text().catch(() => undefined);
  return errorOf(response.status, text, response.headers.get("retry-after"), method, path, cause);
}

function errorOf(status: number, text: string | undefined, retryAfter: string | null, method: string, path: string, cause: unknown): ApiError {
  let body = text;
  let detail: unknown;
  try {
    detail = (JSON.parse(text as string) as { detail?: unknown }).detail;
    body = undefined;
  } catch {
    // not JSON: keep the raw text in `body`
  }
  return new ApiError({
    method,
    path,
    status,
    detail,
    body,
    retryAfterMs: parseRetryAfter(retryAfter),
    ...(cause !== undefined ? { cause } : {}),
  });
}

async function toApiError(ky: typeof import("ky"), error: unknown, method: string, path: string): Promise<unknown> {
  if (error instanceof ky.HTTPError) return httpError(error.response, method, path, error);
  if (error instanceof ky.TimeoutError) return new ApiError({ method, path, code: "timeout", cause: error });
  // The caller's own abort is not an API failure: let it through untouched.
  if (error instanceof Error && error.name === "AbortError") return error;
  return new ApiError({ method, path, code: "network", cause: error });
}
