/** Tags of a data item, as the SDK's `initialize(tags=…)` attaches them. */
import { ApiError } from "./errors.js";
import type { Request } from "./requests.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Names are trimmed, empties dropped, duplicates (case-insensitive) removed; a UUID must name an existing
 * tag; a name matches an existing tag case-insensitively or a new tag is created (`POST /tags/`); then
 * `POST /tags/data-items/`.
 */
export async function attachTags(request: Request, dataId: string, names: string[], signal?: AbortSignal): Promise<void> {
  const wanted: string[] = [];
  const seen = new Set<string>();
  for (const raw of names) {
    const name = raw.trim();
    if (name === "" || seen.has(name.toLowerCase())) continue;
    seen.add(name.toLowerCase());
    wanted.push(name);
  }
  if (wanted.length === 0) return;
  const existing = (await request<Array<{ id: string; name: string }> | null>("GET", "tags/", { signal })) ?? [];
  const tagIds: string[] = [];
  for (const name of wanted) {
    if (UUID.test(name)) {
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
      const created = await request<{ id: string }>("POST", "tags/", { json: { name }, signal });
      existing.push({ id: created.id, name });
      tagIds.push(created.id);
    }
  }
  await request<unknown>("POST", "tags/data-items/", { json: { data_ids: [dataId], tag_ids: tagIds }, signal });
}
