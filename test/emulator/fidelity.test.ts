/**
 * What the platform does now (issue 12): empty slices and NUL refused with 422 (never 500), whole
 * milliseconds on read-back, any channel name (`__proto__` too), and bounded work per request —
 * against the real emulator process, on each backend, each case read back point by point.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, emulatorOn, http, type RunningEmulator } from "../helpers/emulator.js";

const T0 = 1_764_000_000;

describe.each(BACKENDS)("platform fidelity on %s", (backend) => {
  let emu: RunningEmulator;
  let call: ReturnType<typeof http>;
  beforeAll(async () => {
    emu = await emulatorOn(backend);
    call = http(emu);
  });
  afterAll(async () => {
    await emu?.stop();
  });

  async function newStream(ppc = 10): Promise<string> {
    const res = await call("POST", "/tool-state/stream/initialize", { points_per_chunk: ppc, stream_name: "fidelity" });
    expect(res.status).toBe(200);
    return res.body.data_id as string;
  }

  const locs = (body: { detail: Array<{ loc: unknown[] }> }) => body.detail.map((d) => d.loc.join("."));

  it("empty timestamps/values are 422 (too_short), in chunk and in multi, and nothing of the request is stored", async () => {
    const id = await newStream();
    const chunk = await call("POST", "/tool-state/stream/chunk", { data_id: id, chunk_index: 0, channel_name: "a", timestamps: [], values: [] });
    expect(chunk.status).toBe(422);
    expect(locs(chunk.body)).toEqual(["body.timestamps", "body.values"]);
    expect(chunk.body.detail[0]).toMatchObject({ type: "too_short", msg: "List should have at least 1 item after validation, not 0" });
    const multi = await call("POST", "/tool-state/stream/chunk/multi", {
      data_id: id,
      chunk_index: 0,
      channels: { good: { timestamps: [T0], values: [1] }, empty: { timestamps: [], values: [] } },
    });
    expect(multi.status).toBe(422);
    expect(locs(multi.body)).toEqual(["body.channels.empty.timestamps", "body.channels.empty.values"]);
    const none = await call("POST", "/tool-state/stream/chunk/multi", { data_id: id, chunk_index: 0, channels: {} });
    expect(none.status).toBe(422);
    expect(none.body.detail[0]).toMatchObject({ type: "too_short", loc: ["body", "channels"] });
    const back = await call("GET", `/tool-state/${id}/timeseries/`);
    expect(back.body).toEqual({ properties: {} });
  });

  it("a NUL character in any string field is 422 naming the field, never 500", async () => {
    const id = await newStream();
    const nul = "bad\u0000name";
    const cases: Array<[string, string, unknown, string]> = [
      ["POST", "/tool-state/stream/initialize", { points_per_chunk: 5, stream_name: nul }, "body.stream_name"],
      ["POST", "/tool-state/stream/chunk", { data_id: id, chunk_index: 0, channel_name: nul, timestamps: [T0], values: [1] }, "body.channel_name"],
      ["POST", "/tool-state/stream/chunk", { data_id: id, chunk_index: 0, channel_name: "u", timestamps: [T0], values: [1], units: nul }, "body.units"],
      ["POST", "/tool-state/stream/chunk", { data_id: nul, chunk_index: 0, channel_name: "u", timestamps: [T0], values: [1] }, "body.data_id"],
      ["POST", "/tool-state/stream/chunk/multi", { data_id: id, chunk_index: 0, channels: { [nul]: { timestamps: [T0], values: [1] } } }, `body.channels.${nul}.[key]`],
      ["POST", "/tool-state/stream/chunk/multi", { data_id: id, chunk_index: 0, channels: { ok: { timestamps: [T0], values: [1], units: nul } } }, "body.channels.ok.units"],
      ["POST", "/instruments/synthesis", { name: nul, label: "L", type: "mbe" }, "body.name"],
      ["POST", "/physical_samples/", { name: nul }, "body.name"],
      ["POST", "/data_entries/physical_sample", { data_ids: [nul], physical_sample_id: "00000000-0000-4000-8000-000000000001" }, "body.data_ids.0"],
      ["POST", "/tags/", { name: nul }, "body.name"],
      ["POST", "/tags/data-items/", { data_ids: [nul], tag_ids: [] }, "body.data_ids.0"],
      ["POST", "/tool-state/stream/%00/finalize", undefined, "path.data_id"],
      ["GET", "/tool-state/%00/timeseries/", undefined, "path.data_id"],
    ];
    for (const [method, path, body, loc] of cases) {
      const res = await call(method, path, body);
      expect(res.status, `${method} ${path}`).toBe(422);
      expect(locs(res.body), path).toEqual([loc]);
      expect(res.body.detail[0].msg).toMatch(/NUL/);
    }
    // A lone surrogate cannot be stored either (not valid UTF-8): 422 too.
    const lone = await call("POST", "/tool-state/stream/chunk", `{"data_id":"${id}","chunk_index":0,"channel_name":"x\\ud800","timestamps":[${T0}],"values":[1]}`);
    expect(lone.status).toBe(422);
    expect(locs(lone.body)).toEqual(["body.channel_name"]);
    // nothing was stored, and the stream still works
    expect((await call("GET", `/tool-state/${id}/timeseries/`)).body).toEqual({ properties: {} });
    const ok = await call("POST", "/tool-state/stream/chunk", { data_id: id, chunk_index: 0, channel_name: "after", timestamps: [T0], values: [42] });
    expect(ok.status).toBe(200);
    expect((await call("GET", `/tool-state/${id}/timeseries/`)).body.properties.after.values).toEqual([42]);
  });

  it("stores and returns whole milliseconds: DECIMAL(13,3) seconds, relative time without float noise", async () => {
    const id = await newStream(4);
    const timestamps = [T0 + 0.1, T0 + 0.2, T0 + 1.0004, T0 + 1.0006]; // the last two round to .000 and .001
    const res = await call("POST", "/tool-state/stream/chunk", { data_id: id, chunk_index: 0, channel_name: "t", timestamps, values: [1, 2, 3, 4] });
    expect(res.status).toBe(200);
    const p = (await call("GET", `/tool-state/${id}/timeseries/`)).body.properties.t;
    expect(p.unix_timestamp_ms).toEqual([1_764_000_000_100, 1_764_000_000_200, 1_764_000_001_000, 1_764_000_001_001]);
    expect(p.relative_time_seconds).toEqual([0, 0.1, 0.9, 0.901]);
    // timestamps beyond DECIMAL(13,3) (10 digits of seconds) are refused, not stored wrong
    const far = await call("POST", "/tool-state/stream/chunk", { data_id: id, chunk_index: 1, channel_name: "t", timestamps: [1e10], values: [1] });
    expect(far.status).toBe(422);
    expect(far.body.detail[0]).toMatchObject({ type: "decimal_max_digits", loc: ["body", "timestamps", 0] });
  });

  it("any channel name survives the store and the read-back: __proto__, constructor, toString, hasOwnProperty", async () => {
    const id = await newStream(3);
    const names = ["__proto__", "constructor", "toString", "valueOf", "hasOwnProperty", "constructor:2"];
    // chunk/multi, built as JSON text so the `__proto__` key is really sent
    const channels = names.slice(0, 3).map((n, i) => `${JSON.stringify(n)}:{"timestamps":[${T0},${T0 + 1}],"values":[${i},${i + 0.5}],"units":"u${i}"}`);
    const multi = await call("POST", "/tool-state/stream/chunk/multi", `{"data_id":"${id}","chunk_index":0,"channels":{${channels.join(",")}}}`);
    expect(multi.status, JSON.stringify(multi.body)).toBe(200);
    expect(multi.body.map((r: { channel_name: string; total_points: number }) => [r.channel_name, r.total_points])).toEqual([
      ["__proto__", 2],
      ["constructor", 2],
      ["toString", 2],
    ]);
    for (const [i, name] of names.slice(3).entries()) {
      const res = await call("POST", "/tool-state/stream/chunk", { data_id: id, chunk_index: 0, channel_name: name, timestamps: [T0], values: [10 + i] });
      expect(res.status, name).toBe(200);
      expect(res.body.channel_name).toBe(name);
    }
    const text = await (await fetch(`${emu.url}/tool-state/${id}/timeseries/`, { headers: { "X-API-KEY": emu.apiKey } })).text();
    // Read with a reviver-free parse into a null-prototype view: every name is an own key.
    const back = JSON.parse(text) as { properties: Record<string, { values: number[]; units: string | null }> };
    expect(Object.keys(back.properties).sort()).toEqual([...names].sort());
    expect(Object.getOwnPropertyDescriptor(back.properties, "__proto__")?.value).toMatchObject({ values: [0, 0.5], units: "u0" });
    expect(back.properties.constructor).toMatchObject({ values: [1, 1.5], units: "u1" });
    expect(back.properties.toString).toMatchObject({ values: [2, 2.5], units: "u2" });
    expect(back.properties["constructor:2"]?.values).toEqual([12]);
  });

  it("bounds the work of one request: at most 1000 channels and 100 000 points, refused with 422 before any is stored", async () => {
    const id = await newStream(100);
    const channels: Record<string, { timestamps: number[]; values: number[] }> = {};
    for (let c = 0; c < 3000; c++) channels[`c${c}`] = { timestamps: [T0], values: [c] };
    const wide = await call("POST", "/tool-state/stream/chunk/multi", { data_id: id, chunk_index: 0, channels });
    expect(wide.status).toBe(422);
    expect(wide.body.detail[0]).toMatchObject({ type: "too_long", loc: ["body", "channels"], ctx: { max_length: 1000, actual_length: 3000 } });
    expect(JSON.stringify(wide.body).length).toBeLessThan(2000); // the answer does not echo 3000 channels

    const big = await newStream(200_000);
    const n = 100_001;
    const long = await call("POST", "/tool-state/stream/chunk", {
      data_id: big,
      chunk_index: 0,
      channel_name: "long",
      timestamps: Array.from({ length: n }, (_, i) => T0 + i),
      values: Array.from({ length: n }, () => 1),
    });
    expect(long.status).toBe(422);
    expect(long.body.detail[0].msg).toMatch(/100001 points in one request exceed the limit of 100000/);
    expect((await call("GET", "/healthz", undefined)).status).toBe(200);
    // at the limits it works
    const at: Record<string, { timestamps: number[]; values: number[] }> = {};
    for (let c = 0; c < 1000; c++) at[`c${c}`] = { timestamps: [T0, T0 + 1], values: [c, c + 0.5] };
    const ok = await call("POST", "/tool-state/stream/chunk/multi", { data_id: id, chunk_index: 0, channels: at });
    expect(ok.status).toBe(200);
    expect(ok.body).toHaveLength(1000);
    const back = (await call("GET", `/tool-state/${id}/timeseries/`)).body.properties;
    expect(Object.keys(back)).toHaveLength(1000);
    for (let c = 0; c < 1000; c += 97) expect(back[`c${c}`].values).toEqual([c, c + 0.5]);
    expect((await call("GET", `/tool-state/${big}/timeseries/`)).body).toEqual({ properties: {} });
  });
});
