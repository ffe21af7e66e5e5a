/**
 * The emulator's HTTP app: the documented Atomscale endpoints on web-standard Request/Response (Hono),
 * so the same app runs on Node and on Deno. Choices the docs leave open are listed in the README.
 */
import { Hono, type Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import type { CharSourceType, SliceInput, Store } from "./store.js";
import { parseQueryBool, parseQueryInt, Validator, type JsonObject, type Loc } from "./validate.js";
import { serveDemo } from "./static.js";
import type { ChunkResponse, ValidationErrorItem } from "../api/wire.js";

export interface AppOptions {
  store: Store;
  /** The one API key the emulator accepts. */
  apiKey: string;
  /** Largest request body accepted, in bytes; larger ones get 413. */
  maxBodyBytes: number;
  /** Directory of the built demo page, served at `/`. */
  demoDir?: string | undefined;
  /** Called once per request with a one-line summary. */
  log?: ((line: string) => void) | undefined;
}

export const INSTRUMENT_TYPES = ["mbe", "pvd", "sputter", "cvd", "ald", "pld"] as const;
/** `points_per_chunk` is stored as a 32-bit integer. */
const MAX_POINTS_PER_CHUNK = 2_147_483_647;

const PREFIXES: Array<[string, CharSourceType]> = [
  ["/metrology", "metrology"],
  ["/tool-state", "tool_state"],
];

type ErrorStatus = 401 | 403 | 404 | 409 | 413 | 422 | 500;

const fail = (c: Context, status: ErrorStatus, detail: string | ValidationErrorItem[]) => c.json({ detail }, status);
const invalid = (c: Context, v: Validator) => fail(c, 422, v.errors);

/** Read the body as JSON; a decode error becomes pydantic's `json_invalid`. */
async function readJson(c: Context, v: Validator): Promise<unknown> {
  const text = await c.req.text();
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    v.add("json_invalid", ["body", 0], "JSON decode error", {}, { error: (error as Error).message });
    return undefined;
  }
}

function optional<T>(v: Validator, obj: JsonObject, key: string, check: (value: unknown, loc: Loc) => boolean): T | null {
  const value = obj[key];
  if (value === undefined || value === null) return null;
  return check(value, ["body", key]) ? (value as T) : null;
}

export function createApp(options: AppOptions): Hono {
  const { store } = options;
  const app = new Hono({ strict: false });

  app.use(
    "*",
    cors({
      origin: "*",
      allowMethods: ["GET", "POST", "OPTIONS"],
      allowHeaders: ["X-API-KEY", "Content-Type"],
      exposeHeaders: ["Retry-After"],
      maxAge: 600,
    }),
  );

  if (options.log) {
    const log = options.log;
    app.use("*", async (c, next) => {
      const started = performance.now();
      await next();
      log(`${c.req.method} ${new URL(c.req.url).pathname} ${c.res.status} ${(performance.now() - started).toFixed(1)}ms`);
    });
  }

  app.onError((error, c) => {
    (options.log ?? console.error)(`emulator: internal error on ${c.req.method} ${c.req.url}: ${error.stack ?? error}`);
    return c.json({ detail: "Internal Server Error" }, 500);
  });
  app.notFound((c) => c.json({ detail: "Not Found" }, 404));

  app.get("/healthz", (c) => c.json({ status: "ok" }));

  // The demo page it serves asks for the emulator's endpoint and key. Same origin only: a page on
  // another site (Sec-Fetch-Site cross-site / same-site) gets 403, so it cannot read the local key.
  app.get("/emulator/config", (c) => {
    const site = c.req.header("sec-fetch-site");
    if (site !== undefined && site !== "same-origin" && site !== "none") {
      return fail(c, 403 as ErrorStatus, "The emulator's key is only given to pages it serves itself.");
    }
    c.header("Cache-Control", "no-store");
    return c.json({ endpoint: new URL(c.req.url).origin, apiKey: options.apiKey, emulator: true });
  });

  // Every API path needs the key; a body over the limit is refused before it is read.
  const auth = async (c: Context, next: () => Promise<void>) => {
    const key = c.req.header("x-api-key");
    if (key === undefined || key === "") return fail(c, 401, "Not authenticated: send your API key in the X-API-KEY header.");
    if (key !== options.apiKey) return fail(c, 401, "Invalid API key.");
    await next();
  };
  const limit = bodyLimit({
    maxSize: options.maxBodyBytes,
    onError: (c) => fail(c, 413, `Request body too large: the limit is ${options.maxBodyBytes} bytes.`),
  });
  for (const base of ["/metrology", "/tool-state", "/instruments", "/physical_samples", "/data_entries", "/projects"]) {
    app.use(base, auth, limit);
    app.use(`${base}/*`, auth, limit);
  }

  for (const [prefix, charSourceType] of PREFIXES) {
    // ---- §1.1 initialize ----
    app.post(`${prefix}/stream/initialize`, async (c) => {
      const v = new Validator();
      const body = await readJson(c, v);
      if (!v.ok || !v.object(body, ["body"])) return invalid(c, v);
      if (v.required(body, "points_per_chunk", ["body"])) {
        v.integer(body.points_per_chunk, ["body", "points_per_chunk"], { gt: 0, le: MAX_POINTS_PER_CHUNK });
      }
      const streamName = optional<string>(v, body, "stream_name", (x, loc) => v.string(x, loc));
      const synthSourceId = optional<number>(v, body, "synth_source_id", (x, loc) => v.integer(x, loc));
      const physicalSampleId = optional<string>(v, body, "physical_sample_id", (x, loc) => v.uuid(x, loc));
      const projectId = optional<string>(v, body, "project_id", (x, loc) => v.uuid(x, loc));
      if (!v.ok) return invalid(c, v);
      if (synthSourceId !== null && !(await store.getGrowthInstrument(synthSourceId))) {
        return fail(c, 404, `Growth instrument ${synthSourceId} not found in your organization.`);
      }
      if (physicalSampleId !== null && !(await store.getPhysicalSample(physicalSampleId))) {
        return fail(c, 404, `Physical sample ${physicalSampleId} not found.`);
      }
      const ids = await store.createStream({
        points_per_chunk: body.points_per_chunk as number,
        stream_name: streamName ?? `Metrology stream ${new Date().toISOString()}`,
        char_source_type: charSourceType,
        synth_source_id: synthSourceId,
        physical_sample_id: physicalSampleId,
        project_id: projectId,
      });
      return c.json(ids);
    });

    // ---- §1.2 chunk ----
    app.post(`${prefix}/stream/chunk`, async (c) => {
      const v = new Validator();
      const body = await readJson(c, v);
      if (!v.ok || !v.object(body, ["body"])) return invalid(c, v);
      const dataId = requiredString(v, body, "data_id");
      const chunkIndex = requiredChunkIndex(v, body);
      if (v.required(body, "channel_name", ["body"])) v.string(body.channel_name, ["body", "channel_name"], { min: 1, max: 255 });
      const slice = channelPoints(v, body, ["body"], body.channel_name as string);
      if (!v.ok || !slice) return invalid(c, v);
      const stored = await storeSlices(c, dataId!, chunkIndex!, [slice], () => ["body", "values"]);
      return stored instanceof Response ? stored : c.json(stored[0]);
    });

    // ---- §1.3 chunk/multi ----
    app.post(`${prefix}/stream/chunk/multi`, async (c) => {
      const v = new Validator();
      const body = await readJson(c, v);
      if (!v.ok || !v.object(body, ["body"])) return invalid(c, v);
      const dataId = requiredString(v, body, "data_id");
      const chunkIndex = requiredChunkIndex(v, body);
      const slices: SliceInput[] = [];
      if (v.required(body, "channels", ["body"])) {
        const channels = body.channels;
        if (typeof channels !== "object" || channels === null || Array.isArray(channels)) {
          v.add("dict_type", ["body", "channels"], "Input should be a valid dictionary", channels);
        } else {
          for (const [name, points] of Object.entries(channels as JsonObject)) {
            const loc = ["body", "channels", name];
            if (!v.string(name, [...loc, "[key]"], { min: 1, max: 255 })) continue;
            if (!v.object(points, loc)) continue;
            const slice = channelPoints(v, points, loc, name);
            if (slice) slices.push(slice);
          }
        }
      }
      if (!v.ok) return invalid(c, v);
      const stored = await storeSlices(c, dataId!, chunkIndex!, slices, (name) => ["body", "channels", name, "values"]);
      return stored instanceof Response ? stored : c.json(stored);
    });

    // ---- §1.4 finalize ----
    app.post(`${prefix}/stream/:data_id/finalize`, async (c) => {
      const dataId = c.req.param("data_id");
      const stream = await store.getStream(dataId);
      if (!stream) return fail(c, 404, `Stream ${dataId} not found.`);
      await store.finalizeStream(dataId);
      return c.json({ data_id: stream.data_id, processed_data_id: stream.processed_data_id });
    });

    // ---- §2.1 read-back ----
    app.get(`${prefix}/:data_id/timeseries`, async (c) => {
      const v = new Validator();
      const lastN = parseQueryInt(c.req.query("last_n"), ["query", "last_n"], v, { ge: 0 });
      const nullIfMissing = parseQueryBool(c.req.query("return_null_if_missing"), ["query", "return_null_if_missing"], v);
      if (!v.ok) return invalid(c, v);
      const dataId = c.req.param("data_id");
      if (!(await store.getStream(dataId))) {
        return nullIfMissing ? c.json(null) : fail(c, 404, `Stream ${dataId} not found.`);
      }
      return c.json(await store.readTimeseries(dataId, lastN));
    });
  }

  /** Check the stream can take these slices, then store them; an error Response otherwise. */
  async function storeSlices(
    c: Context,
    dataId: string,
    chunkIndex: number,
    slices: SliceInput[],
    valuesLoc: (channel: string) => Loc,
  ): Promise<Response | ChunkResponse[]> {
    const stream = await store.getStream(dataId);
    if (!stream) return fail(c, 404, `Stream ${dataId} not found.`);
    if (stream.pipeline_status !== "stream_active") {
      return fail(c, 409, `Stream ${dataId} is finalized (pipeline_status "${stream.pipeline_status}"); it cannot accept more data.`);
    }
    const v = new Validator();
    for (const s of slices) {
      if (s.values.length > stream.points_per_chunk) {
        v.add(
          "value_error",
          valuesLoc(s.channel_name),
          `Value error, ${s.values.length} points exceed points_per_chunk (${stream.points_per_chunk}) of this stream`,
          s.values.length,
          { points_per_chunk: stream.points_per_chunk },
        );
      }
    }
    if (!v.ok) return invalid(c, v);
    return store.putSlices(dataId, chunkIndex, slices);
  }

  // ---- §4.1 growth instruments ----
  app.get("/instruments/synthesis", async (c) => c.json(await store.listGrowthInstruments()));
  app.post("/instruments/synthesis", async (c) => {
    const v = new Validator();
    const body = await readJson(c, v);
    if (!v.ok || !v.object(body, ["body"])) return invalid(c, v);
    const name = requiredString(v, body, "name", { min: 1 });
    const label = requiredString(v, body, "label", { min: 1 });
    if (v.required(body, "type", ["body"])) v.oneOf(body.type, ["body", "type"], INSTRUMENT_TYPES);
    const serialId = optional<string>(v, body, "serial_id", (x, loc) => v.string(x, loc));
    if (!v.ok) return invalid(c, v);
    const created = await store.createGrowthInstrument({ name: name!, label: label!, type: body.type as string, serial_id: serialId });
    return c.json({
      ...created,
      source_makes_id: null,
      source_metadata: { manufacture_year: null, serial_identifier: serialId, inputs: [] },
      user_id: "emulator",
    });
  });

  // ---- §4.2 physical samples ----
  app.get("/physical_samples", async (c) => {
    const v = new Validator();
    const id = c.req.query("physical_sample_id");
    if (id !== undefined) v.uuid(id, ["query", "physical_sample_id"]);
    const hasDataItem = parseQueryBool(c.req.query("has_data_item"), ["query", "has_data_item"], v);
    if (!v.ok) return invalid(c, v);
    return c.json(await store.listPhysicalSamples({ id, hasDataItem }));
  });
  app.post("/physical_samples", async (c) => {
    const v = new Validator();
    const body = await readJson(c, v);
    if (!v.ok || !v.object(body, ["body"])) return invalid(c, v);
    const name = optional<string>(v, body, "name", (x, loc) => v.string(x, loc));
    const instrumentId = optional<number>(v, body, "growth_instrument_id", (x, loc) => v.integer(x, loc));
    const sampleId = optional<string>(v, body, "sample_id", (x, loc) => v.string(x, loc));
    if (!v.ok) return invalid(c, v);
    if (instrumentId !== null && !(await store.getGrowthInstrument(instrumentId))) {
      return fail(c, 404, `Growth instrument ${instrumentId} not found in your organization.`);
    }
    return c.json(await store.createPhysicalSample({ name, growth_instrument_id: instrumentId, sample_id: sampleId }));
  });

  // ---- §4.3 linking and project tracking ----
  app.post("/data_entries/physical_sample", async (c) => {
    const v = new Validator();
    const body = await readJson(c, v);
    if (!v.ok || !v.object(body, ["body"])) return invalid(c, v);
    let dataIds: string[] = [];
    if (v.required(body, "data_ids", ["body"])) {
      if (!Array.isArray(body.data_ids)) v.add("list_type", ["body", "data_ids"], "Input should be a valid list", body.data_ids);
      else {
        body.data_ids.forEach((id, i) => v.string(id, ["body", "data_ids", i]));
        dataIds = body.data_ids as string[];
      }
    }
    if (v.required(body, "physical_sample_id", ["body"])) v.uuid(body.physical_sample_id, ["body", "physical_sample_id"]);
    if (!v.ok) return invalid(c, v);
    const sampleId = body.physical_sample_id as string;
    if (!(await store.getPhysicalSample(sampleId))) return fail(c, 404, `Physical sample ${sampleId} not found.`);
    const missing = await store.linkPhysicalSample(dataIds, sampleId);
    if (missing.length > 0) return fail(c, 404, `Data entries not found: ${missing.join(", ")}.`);
    return c.json({ data_ids: dataIds, physical_sample_id: sampleId });
  });

  app.post("/projects/:project_id/configuration/tracking_samples", async (c) => {
    const v = new Validator();
    const projectId = c.req.param("project_id");
    v.uuid(projectId, ["path", "project_id"]);
    const body = await readJson(c, v);
    if (!v.ok || !v.object(body, ["body"])) return invalid(c, v);
    if (v.required(body, "physical_sample_id", ["body"])) v.uuid(body.physical_sample_id, ["body", "physical_sample_id"]);
    const setActive = optional<boolean>(v, body, "set_active", (x, loc) => v.boolean(x, loc)) ?? false;
    if (!v.ok) return invalid(c, v);
    const sampleId = body.physical_sample_id as string;
    if (!(await store.getPhysicalSample(sampleId))) return fail(c, 404, `Physical sample ${sampleId} not found.`);
    return c.json(await store.trackSampleInProject(projectId, sampleId, setActive));
  });

  app.get("/projects/:project_id/configuration", async (c) => {
    const v = new Validator();
    const projectId = c.req.param("project_id");
    if (!v.uuid(projectId, ["path", "project_id"])) return invalid(c, v);
    return c.json(await store.projectConfiguration(projectId));
  });

  // ---- §4.4 data catalogue ----
  app.get("/data_entries", async (c) => {
    const list = (name: string) => c.req.queries(name) ?? [];
    return c.json(
      await store.listDataEntries({
        dataIds: list("data_ids"),
        physicalSampleIds: list("physical_sample_ids"),
        projectIds: list("project_ids"),
        status: c.req.query("status"),
        dataType: c.req.query("data_type"),
      }),
    );
  });

  // ---- the demo page ----
  app.get("*", serveDemo(options.demoDir));

  return app;
}

function requiredString(v: Validator, body: JsonObject, key: string, length: { min?: number } = {}): string | undefined {
  if (!v.required(body, key, ["body"])) return undefined;
  return v.string(body[key], ["body", key], length) ? (body[key] as string) : undefined;
}

function requiredChunkIndex(v: Validator, body: JsonObject): number | undefined {
  if (!v.required(body, "chunk_index", ["body"])) return undefined;
  return v.integer(body.chunk_index, ["body", "chunk_index"], { ge: 0, le: Number.MAX_SAFE_INTEGER }) ? body.chunk_index : undefined;
}

/** `timestamps`, `values` (numeric lists of equal length) and optional `units` of one channel. */
function channelPoints(v: Validator, obj: JsonObject, loc: Loc, channelName: string): SliceInput | undefined {
  const before = v.errors.length;
  const ts = v.required(obj, "timestamps", loc) && v.numberArray(obj.timestamps, [...loc, "timestamps"]);
  const vals = v.required(obj, "values", loc) && v.numberArray(obj.values, [...loc, "values"]);
  const units = obj.units === undefined || obj.units === null ? undefined : v.string(obj.units, [...loc, "units"]) ? (obj.units as string) : undefined;
  if (ts && vals) {
    const t = obj.timestamps as number[];
    const x = obj.values as number[];
    if (t.length !== x.length) {
      v.add("value_error", [...loc, "values"], `Value error, timestamps and values must have the same length (${t.length} timestamps, ${x.length} values)`, x.length);
    }
  }
  if (v.errors.length > before) return undefined;
  return { channel_name: channelName, timestamps: obj.timestamps as number[], values: obj.values as number[], units };
}
