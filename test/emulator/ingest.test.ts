/** Idempotency, order, positions and read-back against the real emulator process. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, emulatorOn, http, type RunningEmulator } from "../helpers/emulator.js";

const T0 = 1_764_000_000; // seconds

function points(chunk: number, n: number, ppc: number, channel = 0) {
  const timestamps: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < n; i++) {
    const pos = chunk * ppc + i;
    timestamps.push(T0 + pos * 0.1);
    values.push(Math.sin(pos / 7) * 100 + channel + pos / 1e6);
  }
  return { timestamps, values };
}

describe.each(BACKENDS)("ingest semantics on %s", (backend) => {
  let emu: RunningEmulator;
  let call: ReturnType<typeof http>;
  beforeAll(async () => {
    emu = await emulatorOn(backend);
    call = http(emu);
  });
  afterAll(async () => {
    await emu?.stop();
  });

  async function newStream(ppc: number, prefix = "/metrology") {
    const res = await call("POST", `${prefix}/stream/initialize`, { points_per_chunk: ppc, stream_name: `test ${ppc}` });
    expect(res.status).toBe(200);
    return res.body.data_id as string;
  }

  it("stores out-of-order slices at their positions and reads them back exactly", async () => {
    const ppc = 50;
    const dataId = await newStream(ppc);
    const order = [3, 0, 4, 1, 2];
    let last = 0;
    for (const chunk of order) {
      const res = await call("POST", "/metrology/stream/chunk", {
        data_id: dataId,
        chunk_index: chunk,
        channel_name: "temperature",
        units: "C",
        ...points(chunk, ppc, ppc),
      });
      expect(res.status).toBe(200);
      expect(res.body.total_points).toBe(last + ppc);
      last += ppc;
    }
    const back = await call("GET", `/metrology/${dataId}/timeseries`);
    const all = points(0, 5 * ppc, ppc);
    const p = back.body.properties.temperature;
    expect(p.values).toEqual(all.values);
    // Whole milliseconds, as the platform's DECIMAL(13,3) seconds hold them (contract of issue 12:
    // before, the emulator answered t × 1000 with float noise).
    const ms = all.timestamps.map((t) => Math.round(t * 1000));
    expect(p.unix_timestamp_ms).toEqual(ms);
    expect(p.unix_timestamp_ms.every(Number.isInteger)).toBe(true);
    expect(p.relative_time_seconds[0]).toBe(0);
    expect(p.relative_time_seconds).toEqual(ms.map((t) => (t - ms[0]!) / 1000));
    expect(p.relative_time_seconds[9]).toBe(0.9); // not 0.9000000953674316
    expect(p.units).toBe("C");
  });

  it("re-sending a key replaces its slice: a partial followed by the full one leaves the full one, never doubled", async () => {
    const ppc = 10;
    const dataId = await newStream(ppc);
    const full = points(0, ppc, ppc);
    const partial = { timestamps: full.timestamps.slice(0, 4), values: full.values.slice(0, 4) };
    const send = (body: object) => call("POST", "/metrology/stream/chunk", { data_id: dataId, chunk_index: 0, channel_name: "p", ...body });
    expect((await send(partial)).body.total_points).toBe(4);
    expect((await send(full)).body.total_points).toBe(10);
    expect((await send(full)).body.total_points).toBe(10); // retried after a lost response
    const next = points(1, ppc, ppc);
    const r = await call("POST", "/metrology/stream/chunk", { data_id: dataId, chunk_index: 1, channel_name: "p", ...next });
    expect(r.body.total_points).toBe(20);
    const back = await call("GET", `/metrology/${dataId}/timeseries/`);
    expect(back.body.properties.p.values).toEqual([...full.values, ...next.values]);
    // and the other way round: a stale partial sent after the full one replaces it (last write wins, per key)
    expect((await send(partial)).body.total_points).toBe(14);
  });

  it("chunk/multi is idempotent per (data_id, channel_name, chunk_index) and mixes with single-channel chunks", async () => {
    const ppc = 5;
    const dataId = await newStream(ppc);
    const a = points(0, ppc, ppc, 1);
    const b = points(0, ppc, ppc, 2);
    const multi = () => call("POST", "/metrology/stream/chunk/multi", { data_id: dataId, chunk_index: 0, channels: { a, b } });
    expect((await multi()).body.map((r: { total_points: number }) => r.total_points)).toEqual([5, 5]);
    expect((await multi()).body.map((r: { total_points: number }) => r.total_points)).toEqual([5, 5]);
    const single = await call("POST", "/metrology/stream/chunk", { data_id: dataId, chunk_index: 1, channel_name: "b", ...points(1, 3, ppc, 2) });
    expect(single.body.total_points).toBe(8);
    const back = await call("GET", `/metrology/${dataId}/timeseries/`);
    expect(back.body.properties.a.values).toEqual(a.values);
    expect(back.body.properties.b.values).toEqual([...b.values, ...points(1, 3, ppc, 2).values]);
    expect(back.body.properties.a.units).toBeNull();
  });

  it("keeps float64 values bit for bit, and honours last_n per property", async () => {
    const dataId = await newStream(8);
    const values = [Number.MIN_VALUE, -0.1, 1 / 3, 1e300, -1e-300, 123456789.123456789, 2 ** 53, 0];
    const timestamps = values.map((_, i) => T0 + i + 0.000123);
    await call("POST", "/metrology/stream/chunk", { data_id: dataId, chunk_index: 0, channel_name: "x", timestamps, values });
    const back = await call("GET", `/metrology/${dataId}/timeseries/`);
    expect(back.body.properties.x.values).toEqual(values);
    const last = await call("GET", `/metrology/${dataId}/timeseries/?last_n=3`);
    expect(last.body.properties.x.values).toEqual(values.slice(-3));
    expect(last.body.properties.x.unix_timestamp_ms).toEqual(timestamps.slice(-3).map((t) => Math.round(t * 1000)));
  });

  it("units: the newest slice that names units wins", async () => {
    const dataId = await newStream(2);
    const send = (chunk: number, units?: string) =>
      call("POST", "/metrology/stream/chunk", { data_id: dataId, chunk_index: chunk, channel_name: "P", ...points(chunk, 2, 2), ...(units ? { units } : {}) });
    await send(0, "mbar");
    await send(1, "Torr");
    await send(2);
    const back = await call("GET", `/metrology/${dataId}/timeseries/`);
    expect(back.body.properties.P.units).toBe("Torr");
  });

  it("serves /tool-state as an alias of /metrology, with and without trailing slashes", async () => {
    const init = await call("POST", "/tool-state/stream/initialize/", { points_per_chunk: 3 });
    expect(init.status).toBe(200);
    const dataId = init.body.data_id;
    const c1 = await call("POST", "/tool-state/stream/chunk/", { data_id: dataId, chunk_index: 0, channel_name: "t", ...points(0, 3, 3) });
    expect(c1.status).toBe(200);
    const c2 = await call("POST", "/metrology/stream/chunk/multi", { data_id: dataId, chunk_index: 1, channels: { t: points(1, 3, 3) } });
    expect(c2.status).toBe(200);
    for (const path of [`/tool-state/${dataId}/timeseries`, `/tool-state/${dataId}/timeseries/`, `/metrology/${dataId}/timeseries`]) {
      const back = await call("GET", path);
      expect(back.status, path).toBe(200);
      expect(back.body.properties.t.values).toEqual(points(0, 6, 3).values);
    }
    const fin = await call("POST", `/tool-state/stream/${dataId}/finalize/`);
    expect(fin.status).toBe(200);
    const entry = await call("GET", `/data_entries?data_ids=${dataId}`);
    expect(entry.body[0]).toMatchObject({ char_source_type: "tool_state", pipeline_status: "success" });
  });

  it("takes a 3 × 2000-point stream in any order with exact read-back", async () => {
    const ppc = 100;
    const dataId = await newStream(ppc);
    const chunks = Array.from({ length: 20 }, (_, i) => i).sort((x, y) => ((x * 7919) % 20) - ((y * 7919) % 20));
    await Promise.all(
      chunks.map(async (chunk) => {
        const channels = Object.fromEntries(["a", "b", "c"].map((name, ch) => [name, points(chunk, ppc, ppc, ch)]));
        const res = await call("POST", "/metrology/stream/chunk/multi", { data_id: dataId, chunk_index: chunk, channels });
        expect(res.status).toBe(200);
      }),
    );
    const back = await call("GET", `/metrology/${dataId}/timeseries/`);
    for (const [ch, name] of ["a", "b", "c"].entries()) {
      expect(back.body.properties[name].values).toEqual(points(0, 2000, ppc, ch).values);
    }
  });
});
