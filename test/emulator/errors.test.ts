/** Validation (422, FastAPI-shaped), 401, 404, 409, 413 and CORS, against the real emulator process. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, emulatorOn, http, type RunningEmulator } from "../helpers/emulator.js";

const MAX_BODY = 4096;

describe.each(BACKENDS)("errors on %s", (backend) => {
  let emu: RunningEmulator;
  let call: ReturnType<typeof http>;
  let dataId: string;
  beforeAll(async () => {
    emu = await emulatorOn(backend, ["--max-body-bytes", String(MAX_BODY)]);
    call = http(emu);
    dataId = (await call("POST", "/metrology/stream/initialize", { points_per_chunk: 3 })).body.data_id;
  });
  afterAll(async () => {
    await emu?.stop();
  });

  const good = () => ({ data_id: dataId, chunk_index: 0, channel_name: "thickness", timestamps: [1705312200, 1705312210], values: [1, 2] });

  /** Expect a 422 whose detail names exactly these locations. */
  async function expect422(path: string, body: unknown, locs: Array<Array<string | number>>, types?: string[]) {
    const res = await call("POST", path, body);
    expect(res.status, JSON.stringify(res.body)).toBe(422);
    expect(Array.isArray(res.body.detail)).toBe(true);
    for (const item of res.body.detail) {
      expect(Object.keys(item)).toEqual(expect.arrayContaining(["type", "loc", "msg", "input"]));
    }
    expect(res.body.detail.map((d: { loc: unknown }) => d.loc)).toEqual(locs);
    if (types) expect(res.body.detail.map((d: { type: string }) => d.type)).toEqual(types);
    return res.body.detail;
  }

  it("initialize: points_per_chunk is required and must be an integer > 0", async () => {
    await expect422("/metrology/stream/initialize", {}, [["body", "points_per_chunk"]], ["missing"]);
    const [zero] = await expect422("/metrology/stream/initialize", { points_per_chunk: 0 }, [["body", "points_per_chunk"]], ["greater_than"]);
    expect(zero).toMatchObject({ msg: "Input should be greater than 0", input: 0, ctx: { gt: 0 } });
    await expect422("/metrology/stream/initialize", { points_per_chunk: -5 }, [["body", "points_per_chunk"]], ["greater_than"]);
    await expect422("/metrology/stream/initialize", { points_per_chunk: 2.5 }, [["body", "points_per_chunk"]], ["int_from_float"]);
    await expect422("/metrology/stream/initialize", { points_per_chunk: "100" }, [["body", "points_per_chunk"]], ["int_type"]);
    await expect422(
      "/metrology/stream/initialize",
      { points_per_chunk: 10, project_id: "not-a-uuid", stream_name: 5 },
      [["body", "stream_name"], ["body", "project_id"]],
      ["string_type", "uuid_parsing"],
    );
    await expect422("/metrology/stream/initialize", "[1,2]", [["body"]], ["model_attributes_type"]);
    await expect422("/metrology/stream/initialize", "{not json", [["body", 0]], ["json_invalid"]);
  });

  it("chunk: every required field, chunk_index ≥ 0 integer, channel_name 1–255, numeric arrays of equal length", async () => {
    await expect422(
      "/metrology/stream/chunk",
      {},
      ["data_id", "chunk_index", "channel_name", "timestamps", "values"].map((f) => ["body", f]),
      ["missing", "missing", "missing", "missing", "missing"],
    );
    await expect422("/metrology/stream/chunk", { ...good(), chunk_index: -1 }, [["body", "chunk_index"]], ["greater_than_equal"]);
    await expect422("/metrology/stream/chunk", { ...good(), chunk_index: 1.5 }, [["body", "chunk_index"]], ["int_from_float"]);
    await expect422("/metrology/stream/chunk", { ...good(), chunk_index: "0" }, [["body", "chunk_index"]], ["int_type"]);
    await expect422("/metrology/stream/chunk", { ...good(), channel_name: "" }, [["body", "channel_name"]], ["string_too_short"]);
    await expect422("/metrology/stream/chunk", { ...good(), channel_name: "x".repeat(256) }, [["body", "channel_name"]], ["string_too_long"]);
    const ok255 = await call("POST", "/metrology/stream/chunk", { ...good(), channel_name: "é".repeat(255) });
    expect(ok255.status).toBe(200);
    await expect422("/metrology/stream/chunk", { ...good(), timestamps: "1,2" }, [["body", "timestamps"]], ["list_type"]);
    const [bad] = await expect422("/metrology/stream/chunk", { ...good(), values: [1, null] }, [["body", "values", 1]], ["float_type"]);
    expect(bad.input).toBeNull();
    await expect422("/metrology/stream/chunk", { ...good(), values: [1, "2"] }, [["body", "values", 1]], ["float_type"]);
    const [len] = await expect422("/metrology/stream/chunk", { ...good(), values: [1, 2, 3] }, [["body", "values"]], ["value_error"]);
    expect(len.msg).toMatch(/same length/);
    await expect422("/metrology/stream/chunk", { ...good(), units: 3 }, [["body", "units"]], ["string_type"]);
  });

  it("chunk/multi: channels required, each channel validated under its own name", async () => {
    await expect422("/metrology/stream/chunk/multi", { data_id: dataId, chunk_index: 0 }, [["body", "channels"]], ["missing"]);
    await expect422("/metrology/stream/chunk/multi", { data_id: dataId, chunk_index: 0, channels: [] }, [["body", "channels"]], ["dict_type"]);
    await expect422(
      "/metrology/stream/chunk/multi",
      { data_id: dataId, chunk_index: 0, channels: { ok: { timestamps: [1], values: [2] }, bad: { timestamps: [1, 2], values: [2] }, none: { values: [1] } } },
      [["body", "channels", "bad", "values"], ["body", "channels", "none", "timestamps"]],
      ["value_error", "missing"],
    );
    // nothing of a refused request is stored
    const back = await call("GET", `/metrology/${dataId}/timeseries/`);
    expect(back.body.properties.ok).toBeUndefined();
  });

  it("a slice longer than points_per_chunk is refused with 422 naming values", async () => {
    const [d] = await expect422("/metrology/stream/chunk", { ...good(), timestamps: [1, 2, 3, 4], values: [1, 2, 3, 4] }, [["body", "values"]], ["value_error"]);
    expect(d.msg).toMatch(/4 points exceed points_per_chunk \(3\)/);
    await expect422(
      "/metrology/stream/chunk/multi",
      { data_id: dataId, chunk_index: 9, channels: { a: { timestamps: [1, 2, 3, 4], values: [1, 2, 3, 4] } } },
      [["body", "channels", "a", "values"]],
    );
  });

  it("401 without a key or with a wrong one, on every API path, and nothing is stored", async () => {
    for (const headers of [{ "X-API-KEY": "" }, { "X-API-KEY": "wrong-key" }]) {
      const res = await call("POST", "/metrology/stream/chunk", { ...good(), chunk_index: 7 }, headers);
      expect(res.status).toBe(401);
      expect(typeof res.body.detail).toBe("string");
      expect(res.body.detail).not.toContain(emu.apiKey);
    }
    const noHeader = await fetch(`${emu.url}/instruments/synthesis`);
    expect(noHeader.status).toBe(401);
    for (const path of ["/physical_samples/", "/data_entries/", `/tool-state/${dataId}/timeseries/`]) {
      expect((await call("GET", path, undefined, { "X-API-KEY": "nope" })).status, path).toBe(401);
    }
    const back = await call("GET", `/metrology/${dataId}/timeseries/`);
    expect(JSON.stringify(back.body)).not.toContain('"chunk_index":7');
  });

  it("404 for an unknown data id on chunk, multi, finalize and read-back; null on request", async () => {
    const unknown = "00000000-0000-4000-8000-000000000000";
    const c = await call("POST", "/metrology/stream/chunk", { ...good(), data_id: unknown });
    expect(c.status).toBe(404);
    expect(c.body.detail).toContain(unknown);
    expect((await call("POST", "/metrology/stream/chunk/multi", { data_id: "nope", chunk_index: 0, channels: { a: { timestamps: [1], values: [1] } } })).status).toBe(404);
    expect((await call("POST", `/metrology/stream/${unknown}/finalize`)).status).toBe(404);
    expect((await call("GET", `/metrology/${unknown}/timeseries/`)).status).toBe(404);
    const nul = await call("GET", `/metrology/${unknown}/timeseries/?return_null_if_missing=true`);
    expect(nul.status).toBe(200);
    expect(nul.body).toBeNull();
    expect((await call("GET", `/metrology/${dataId}/timeseries/?last_n=-1`)).status).toBe(422);
    expect((await call("GET", "/no/such/path")).status).toBe(404);
  });

  it("409 for a chunk after finalize; a second finalize is 200 with the same body", async () => {
    const id = (await call("POST", "/metrology/stream/initialize", { points_per_chunk: 2 })).body.data_id;
    expect((await call("POST", "/metrology/stream/chunk", { ...good(), data_id: id })).status).toBe(200);
    const first = await call("POST", `/metrology/stream/${id}/finalize`);
    const second = await call("POST", `/metrology/stream/${id}/finalize`);
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    const late = await call("POST", "/metrology/stream/chunk", { ...good(), data_id: id, chunk_index: 1 });
    expect(late.status).toBe(409);
    expect(late.body.detail).toMatch(/finalized/);
    const lateMulti = await call("POST", "/metrology/stream/chunk/multi", { data_id: id, chunk_index: 1, channels: { a: { timestamps: [1], values: [1] } } });
    expect(lateMulti.status).toBe(409);
    const back = await call("GET", `/metrology/${id}/timeseries/`);
    expect(back.body.properties.thickness.values).toEqual([1, 2]);
  });

  it(`413 for a body over the limit (${MAX_BODY} bytes here), and the stream still works after`, async () => {
    const n = 600;
    const big = { ...good(), chunk_index: 5, timestamps: Array.from({ length: n }, (_, i) => 1705312200 + i), values: Array(n).fill(1.5) };
    expect(JSON.stringify(big).length).toBeGreaterThan(MAX_BODY);
    const res = await call("POST", "/metrology/stream/chunk", big);
    expect(res.status).toBe(413);
    expect(res.body.detail).toContain(String(MAX_BODY));
    expect((await call("POST", "/metrology/stream/chunk", { ...good(), chunk_index: 6 })).status).toBe(200);
  });

  it("answers CORS preflights for a page on another origin", async () => {
    const res = await fetch(`${emu.url}/metrology/stream/chunk`, {
      method: "OPTIONS",
      headers: { Origin: "http://example.test:5173", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "x-api-key,content-type" },
    });
    expect(res.status).toBeLessThan(300);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("x-api-key");
    const simple = await call("GET", "/instruments/synthesis", undefined, { Origin: "http://example.test:5173" });
    expect(simple.headers.get("access-control-allow-origin")).toBe("*");
  });
});
