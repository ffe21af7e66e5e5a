/** Tags as the SDK's initialize(tags=[…]) uses them: list, find-or-create, attach, read back. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, emulatorOn, http, type RunningEmulator } from "../helpers/emulator.js";

describe.each(BACKENDS)("tags on %s", (backend) => {
  let emu: RunningEmulator;
  let call: ReturnType<typeof http>;
  beforeAll(async () => {
    emu = await emulatorOn(backend);
    call = http(emu);
  });
  afterAll(async () => {
    await emu?.stop();
  });

  it("GET /tags/ lists, POST /tags/ creates (a name again, in any case, answers the same tag), both need the key", async () => {
    expect((await call("GET", "/tags/")).body).toEqual([]);
    const a = await call("POST", "/tags/", { name: "  GaN growth " });
    expect(a.status).toBe(200);
    expect(a.body).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), name: "GaN growth" });
    const again = await call("POST", "/tags/", { name: "gan GROWTH" });
    expect(again.body).toEqual(a.body);
    const b = (await call("POST", "/tags", { name: "run 7" })).body;
    expect((await call("GET", "/tags")).body).toEqual([a.body, b]);
    for (const bad of [{}, { name: "" }, { name: "   " }, { name: 5 }, { name: "x".repeat(256) }]) {
      const res = await call("POST", "/tags/", bad);
      expect(res.status, JSON.stringify(bad)).toBe(422);
      expect(res.body.detail[0].loc).toEqual(["body", "name"]);
    }
    expect((await call("GET", "/tags/", undefined, { "X-API-KEY": "wrong" })).status).toBe(401);
    expect((await call("POST", "/tags/", { name: "sneaky" }, { "X-API-KEY": "wrong" })).status).toBe(401);
    expect((await call("GET", "/tags/")).body.map((t: { name: string }) => t.name)).not.toContain("sneaky");
  });

  it("POST /tags/data-items/ attaches every tag to every data item (idempotently); the catalogue reads them back", async () => {
    const init = (name: string) => call("POST", "/tool-state/stream/initialize", { points_per_chunk: 5, stream_name: name });
    const s1 = (await init("one")).body.data_id as string;
    const s2 = (await init("two")).body.data_id as string;
    const t1 = (await call("POST", "/tags/", { name: "alpha" })).body;
    const t2 = (await call("POST", "/tags/", { name: "beta" })).body;
    const attach = await call("POST", "/tags/data-items/", { data_ids: [s1, s2], tag_ids: [t1.id, t2.id] });
    expect(attach.status).toBe(200);
    expect(attach.body).toEqual({ data_ids: [s1, s2], tag_ids: [t1.id, t2.id] });
    expect((await call("POST", "/tags/data-items", { data_ids: [s1], tag_ids: [t1.id] })).status).toBe(200); // again: no duplicate
    const entries = (await call("GET", `/data_entries/?data_ids=${s1}&data_ids=${s2}`)).body;
    for (const e of entries) expect(e.tags).toEqual([t1, t2]);
    const untagged = (await init("three")).body.data_id;
    expect((await call("GET", `/data_entries/?data_ids=${untagged}`)).body[0].tags).toEqual([]);
  });

  it("refuses unknown data items and tags with 404 (attaching nothing), and malformed ids with 422", async () => {
    const s = (await call("POST", "/tool-state/stream/initialize", { points_per_chunk: 5 })).body.data_id as string;
    const t = (await call("POST", "/tags/", { name: "gamma" })).body;
    const unknownItem = await call("POST", "/tags/data-items/", { data_ids: [s, "no-such-item"], tag_ids: [t.id] });
    expect(unknownItem.status).toBe(404);
    expect(unknownItem.body.detail).toContain("no-such-item");
    const missingTag = "00000000-0000-4000-8000-0000000000ff";
    const unknownTag = await call("POST", "/tags/data-items/", { data_ids: [s], tag_ids: [t.id, missingTag] });
    expect(unknownTag.status).toBe(404);
    expect(unknownTag.body.detail).toContain(missingTag);
    expect((await call("GET", `/data_entries/?data_ids=${s}`)).body[0].tags).toEqual([]);
    const bad = await call("POST", "/tags/data-items/", { data_ids: "x", tag_ids: ["not-a-uuid"] });
    expect(bad.status).toBe(422);
    expect(bad.body.detail.map((d: { loc: unknown[] }) => d.loc.join("."))).toEqual(["body.data_ids", "body.tag_ids.0"]);
  });
});
