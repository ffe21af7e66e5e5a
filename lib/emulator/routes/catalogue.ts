/** Growth instruments, physical samples, links, project tracking and the catalogue (reference §4.1–4.4). */
import { Hono } from "hono";
import { jsonBody } from "../middleware/json-body.js";
import { fail, invalid } from "../respond.js";
import type { Store } from "../store.js";
import { parseQueryBool, Validator, type JsonObject, type Loc } from "../validate.js";
import { requiredString } from "./stream-bodies.js";

export const INSTRUMENT_TYPES = ["mbe", "pvd", "sputter", "cvd", "ald", "pld"] as const;

function optional<T>(v: Validator, obj: JsonObject, key: string, check: (value: unknown, loc: Loc) => boolean): T | null {
  const value = obj[key];
  if (value === undefined || value === null) return null;
  return check(value, ["body", key]) ? (value as T) : null;
}

const checkInstrument = (body: unknown, v: Validator) => {
  if (!v.object(body, ["body"])) return undefined;
  const name = requiredString(v, body, "name", { min: 1 });
  const label = requiredString(v, body, "label", { min: 1 });
  if (v.required(body, "type", ["body"])) v.oneOf(body.type, ["body", "type"], INSTRUMENT_TYPES);
  const serialId = optional<string>(v, body, "serial_id", (x, loc) => v.string(x, loc));
  return v.ok ? { name: name!, label: label!, type: body.type as string, serial_id: serialId } : undefined;
};

const checkSample = (body: unknown, v: Validator) => {
  if (!v.object(body, ["body"])) return undefined;
  const name = optional<string>(v, body, "name", (x, loc) => v.string(x, loc));
  const instrumentId = optional<number>(v, body, "growth_instrument_id", (x, loc) => v.integer(x, loc));
  const sampleId = optional<string>(v, body, "sample_id", (x, loc) => v.string(x, loc));
  return v.ok ? { name, growth_instrument_id: instrumentId, sample_id: sampleId } : undefined;
};

const checkLink = (body: unknown, v: Validator) => {
  if (!v.object(body, ["body"])) return undefined;
  if (v.required(body, "data_ids", ["body"])) v.stringArray(body.data_ids, ["body", "data_ids"]);
  if (v.required(body, "physical_sample_id", ["body"])) v.uuid(body.physical_sample_id, ["body", "physical_sample_id"]);
  return v.ok ? { data_ids: body.data_ids as string[], physical_sample_id: body.physical_sample_id as string } : undefined;
};

const checkTracking = (body: unknown, v: Validator) => {
  if (!v.object(body, ["body"])) return undefined;
  if (v.required(body, "physical_sample_id", ["body"])) v.uuid(body.physical_sample_id, ["body", "physical_sample_id"]);
  const setActive = optional<boolean>(v, body, "set_active", (x, loc) => v.boolean(x, loc)) ?? false;
  return v.ok ? { physical_sample_id: body.physical_sample_id as string, set_active: setActive } : undefined;
};

export function catalogueRoutes(store: Store): Hono {
  const app = new Hono({ strict: false });
  const catalogue = store.catalogue;

  // ---- §4.1 growth instruments ----
  app.get("/instruments/synthesis", async (c) => c.json(await catalogue.listGrowthInstruments()));
  app.post("/instruments/synthesis", jsonBody(checkInstrument), async (c) => {
    const body = c.req.valid("json");
    const created = await catalogue.createGrowthInstrument(body);
    return c.json({
      ...created,
      source_makes_id: null,
      source_metadata: { manufacture_year: null, serial_identifier: body.serial_id, inputs: [] },
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
    return c.json(await catalogue.listPhysicalSamples({ id, hasDataItem }));
  });
  app.post("/physical_samples", jsonBody(checkSample), async (c) => {
    const body = c.req.valid("json");
    if (body.growth_instrument_id !== null && !(await catalogue.getGrowthInstrument(body.growth_instrument_id))) {
      return fail(c, 404, `Growth instrument ${body.growth_instrument_id} not found in your organization.`);
    }
    return c.json(await catalogue.createPhysicalSample(body));
  });

  // ---- §4.3 linking and project tracking ----
  app.post("/data_entries/physical_sample", jsonBody(checkLink), async (c) => {
    const { data_ids: dataIds, physical_sample_id: sampleId } = c.req.valid("json");
    if (!(await catalogue.getPhysicalSample(sampleId))) return fail(c, 404, `Physical sample ${sampleId} not found.`);
    const missing = await catalogue.linkPhysicalSample(dataIds, sampleId);
    if (missing.length > 0) return fail(c, 404, `Data entries not found: ${missing.join(", ")}.`);
    return c.json({ data_ids: dataIds, physical_sample_id: sampleId });
  });

  app.post("/projects/:project_id/configuration/tracking_samples", async (c, next) => {
    const v = new Validator();
    if (!v.uuid(c.req.param("project_id"), ["path", "project_id"])) return invalid(c, v);
    await next();
  }, jsonBody(checkTracking), async (c) => {
    const projectId = c.req.param("project_id");
    const body = c.req.valid("json");
    if (!(await catalogue.getPhysicalSample(body.physical_sample_id))) return fail(c, 404, `Physical sample ${body.physical_sample_id} not found.`);
    return c.json(await catalogue.trackSampleInProject(projectId, body.physical_sample_id, body.set_active));
  });

  app.get("/projects/:project_id/configuration", async (c) => {
    const v = new Validator();
    const projectId = c.req.param("project_id");
    if (!v.uuid(projectId, ["path", "project_id"])) return invalid(c, v);
    return c.json(await catalogue.projectConfiguration(projectId));
  });

  // ---- §4.4 data catalogue ----
  app.get("/data_entries", async (c) => {
    const list = (name: string) => c.req.queries(name) ?? [];
    return c.json(
      await catalogue.listDataEntries({
        dataIds: list("data_ids"),
        physicalSampleIds: list("physical_sample_ids"),
        projectIds: list("project_ids"),
        status: c.req.query("status"),
        dataType: c.req.query("data_type"),
      }),
    );
  });

  return app;
}
