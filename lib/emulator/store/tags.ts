/** Tags (reference §3 step 5, §4.3): list, find-or-create by name, attach to data items, read back. */
import type { Queryable } from "../database.js";
import type { TagWire } from "../../api/wire.js";

export async function listTags(db: Queryable): Promise<TagWire[]> {
  const rows = await db.query<{ id: string; name: string }>(`select id, name from tags order by created_datetime, id`);
  return rows.map((r) => ({ id: r.id, name: r.name }));
}

/** Create a tag; a tag of the same name (case-insensitively) is answered as is, not duplicated. */
export async function createTag(db: Queryable, name: string): Promise<{ tag: TagWire; created: boolean }> {
  const [inserted] = await db.query<{ id: string; name: string }>(
    `insert into tags (id, name) values ($1, $2) on conflict ((lower(name))) do nothing returning id, name`,
    [crypto.randomUUID(), name],
  );
  if (inserted) return { tag: { id: inserted.id, name: inserted.name }, created: true };
  const [existing] = await db.query<{ id: string; name: string }>(`select id, name from tags where lower(name) = lower($1)`, [name]);
  return { tag: { id: existing!.id, name: existing!.name }, created: false };
}

/**
 * Attach every tag to every data item (idempotent). Returns the ids that do not exist; nothing is
 * attached then.
 */
export async function attachTags(db: Queryable, dataIds: string[], tagIds: string[]): Promise<{ missingDataIds: string[]; missingTagIds: string[] }> {
  const idsJson = JSON.stringify(dataIds);
  const tagsJson = JSON.stringify(tagIds);
  const missingDataIds = (
    await db.query<{ id: string }>(
      `select id from json_array_elements_text($1::text::json) as x(id) where not exists (select 1 from streams where data_id = x.id)`,
      [idsJson],
    )
  ).map((r) => r.id);
  const missingTagIds = (
    await db.query<{ id: string }>(
      `select id from json_array_elements_text($1::text::json) as x(id) where not exists (select 1 from tags where tags.id = x.id)`,
      [tagsJson],
    )
  ).map((r) => r.id);
  if (missingDataIds.length > 0 || missingTagIds.length > 0) return { missingDataIds, missingTagIds };
  await db.query(
    `insert into data_item_tags (data_id, tag_id)
     select d, t from json_array_elements_text($1::text::json) as d, json_array_elements_text($2::text::json) as t
     order by d, t
     on conflict do nothing`,
    [idsJson, tagsJson],
  );
  return { missingDataIds, missingTagIds };
}

/** The tags of each data item, by data id (items without tags are absent). */
export async function tagsOf(db: Queryable): Promise<Map<string, TagWire[]>> {
  const rows = await db.query<{ data_id: string; id: string; name: string }>(
    `select d.data_id, t.id, t.name from data_item_tags d join tags t on t.id = d.tag_id order by d.data_id, t.name, t.id`,
  );
  const out = new Map<string, TagWire[]>();
  for (const r of rows) {
    let list = out.get(r.data_id);
    if (!list) out.set(r.data_id, (list = []));
    list.push({ id: r.id, name: r.name });
  }
  return out;
}
