/**
 * The stream endpoints (reference §1.1–1.4, §2.1) as one sub-app, mounted under each served prefix
 * (`/tool-state`, `/metrology`) with `app.route`. Which prefix a request came in by is the
 * `charSourceType` variable, set by the parent app.
 */
import { Hono } from "hono";
import { jsonBody } from "../middleware/json-body.js";
import { fail, invalid } from "../respond.js";
import type { CharSourceType, Store } from "../store.js";
import { parseQueryBool, parseQueryInt, Validator } from "../validate.js";
import { checkChunk, checkChunkMulti, checkInitialize, type ChunkInput } from "./stream-bodies.js";
import type { Context } from "hono";

export interface StreamEnv {
  Variables: { charSourceType: CharSourceType };
}

export function streamRoutes(store: Store): Hono<StreamEnv> {
  const app = new Hono<StreamEnv>({ strict: false });

  // ---- §1.1 initialize ----
  app.post("/stream/initialize", jsonBody(checkInitialize), async (c) => {
    const body = c.req.valid("json");
    if (body.synth_source_id !== null && !(await store.catalogue.getGrowthInstrument(body.synth_source_id))) {
      return fail(c, 404, `Growth instrument ${body.synth_source_id} not found in your organization.`);
    }
    if (body.physical_sample_id !== null && !(await store.catalogue.getPhysicalSample(body.physical_sample_id))) {
      return fail(c, 404, `Physical sample ${body.physical_sample_id} not found.`);
    }
    const ids = await store.createStream({
      points_per_chunk: body.points_per_chunk,
      stream_name: body.stream_name ?? `Metrology stream ${new Date().toISOString()}`,
      char_source_type: c.get("charSourceType"),
      synth_source_id: body.synth_source_id,
      physical_sample_id: body.physical_sample_id,
      project_id: body.project_id,
    });
    return c.json(ids);
  });

  // ---- §1.2 chunk, §1.3 chunk/multi ----
  app.post("/stream/chunk", jsonBody(checkChunk), async (c) => {
    const stored = await storeSlices(c, c.req.valid("json"));
    return stored instanceof Response ? stored : c.json(stored[0]);
  });
  app.post("/stream/chunk/multi", jsonBody(checkChunkMulti), async (c) => {
    const stored = await storeSlices(c, c.req.valid("json"));
    return stored instanceof Response ? stored : c.json(stored);
  });

  // ---- §1.4 finalize ----
  app.post("/stream/:data_id/finalize", async (c) => {
    const dataId = c.req.param("data_id");
    const v = new Validator();
    if (!v.string(dataId, ["path", "data_id"])) return invalid(c, v);
    const stream = await store.getStream(dataId);
    if (!stream) return fail(c, 404, `Stream ${dataId} not found.`);
    await store.finalizeStream(dataId);
    return c.json({ data_id: stream.data_id, processed_data_id: stream.processed_data_id });
  });

  // ---- §2.1 read-back ----
  app.get("/:data_id/timeseries", async (c) => {
    const v = new Validator();
    const dataId = c.req.param("data_id");
    v.string(dataId, ["path", "data_id"]);
    const lastN = parseQueryInt(c.req.query("last_n"), ["query", "last_n"], v, { ge: 0 });
    const nullIfMissing = parseQueryBool(c.req.query("return_null_if_missing"), ["query", "return_null_if_missing"], v);
    if (!v.ok) return invalid(c, v);
    if (!(await store.getStream(dataId))) {
      return nullIfMissing ? c.json(null) : fail(c, 404, `Stream ${dataId} not found.`);
    }
    return c.json(await store.readTimeseries(dataId, lastN));
  });

  /** Store the slices, or say why not: 404 unknown stream, 409 finalized, 422 a slice longer than its chunk. */
  async function storeSlices(c: Context, input: ChunkInput) {
    const stored = await store.putSlices(input.data_id, input.chunk_index, input.slices);
    if (Array.isArray(stored)) return stored;
    switch (stored.refused) {
      case "unknown":
        return fail(c, 404, `Stream ${input.data_id} not found.`);
      case "finalized":
        return fail(c, 409, `Stream ${input.data_id} is finalized (pipeline_status "${stored.pipelineStatus}"); it cannot accept more data.`);
      case "too_long": {
        const v = new Validator();
        for (const s of input.slices) {
          if (s.values.length > stored.pointsPerChunk) {
            v.add(
              "value_error",
              input.valuesLoc(s.channel_name),
              `Value error, ${s.values.length} points exceed points_per_chunk (${stored.pointsPerChunk}) of this stream`,
              s.values.length,
              { points_per_chunk: stored.pointsPerChunk },
            );
          }
        }
        return invalid(c, v);
      }
    }
  }

  return app;
}
