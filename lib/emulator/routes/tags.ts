/**
 * Tags, as the SDK's `initialize(tags=[…])` uses them (reference §3 step 5): `GET /tags/` lists
 * `[{id, name}]`, `POST /tags/ {name}` creates one (or answers the existing tag of that name,
 * case-insensitively), `POST /tags/data-items/ {data_ids, tag_ids}` attaches every tag to every data
 * item. A data item's tags read back as `tags` in `GET /data_entries/`.
 */
import { Hono } from "hono";
import { jsonBody } from "../middleware/json-body.js";
import { fail } from "../respond.js";
import type { Store } from "../store.js";
import type { Validator } from "../validate.js";
import { requiredString } from "./stream-bodies.js";

const checkTag = (body: unknown, v: Validator) => {
  if (!v.object(body, ["body"])) return undefined;
  const name = requiredString(v, body, "name", { min: 1 });
  if (name !== undefined && [...name].length > 255) {
    v.add("string_too_long", ["body", "name"], "String should have at most 255 characters", name, { max_length: 255 });
  }
  if (name !== undefined && name.trim() === "") {
    v.add("value_error", ["body", "name"], "Value error, a tag name must not be blank", name);
  }
  return v.ok ? { name: name!.trim() } : undefined;
};

const checkAttach = (body: unknown, v: Validator) => {
  if (!v.object(body, ["body"])) return undefined;
  if (v.required(body, "data_ids", ["body"])) v.stringArray(body.data_ids, ["body", "data_ids"]);
  if (v.required(body, "tag_ids", ["body"]) && v.stringArray(body.tag_ids, ["body", "tag_ids"])) {
    (body.tag_ids as string[]).forEach((id, i) => v.uuid(id, ["body", "tag_ids", i]));
  }
  return v.ok ? { data_ids: body.data_ids as string[], tag_ids: body.tag_ids as string[] } : undefined;
};

export function tagRoutes(store: Store): Hono {
  const app = new Hono({ strict: false });

  app.get("/", async (c) => c.json(await store.listTags()));

  app.post("/", jsonBody(checkTag), async (c) => {
    const { tag } = await store.createTag(c.req.valid("json").name);
    return c.json(tag);
  });

  app.post("/data-items", jsonBody(checkAttach), async (c) => {
    const body = c.req.valid("json");
    const { missingDataIds, missingTagIds } = await store.attachTags(body.data_ids, body.tag_ids);
    if (missingDataIds.length > 0) return fail(c, 404, `Data items not found: ${missingDataIds.join(", ")}.`);
    if (missingTagIds.length > 0) return fail(c, 404, `Tags not found: ${missingTagIds.join(", ")}.`);
    return c.json({ data_ids: body.data_ids, tag_ids: body.tag_ids });
  });

  return app;
}
