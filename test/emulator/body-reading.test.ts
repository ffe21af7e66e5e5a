/**
 * How the emulator reads a request body (under Node, straight from the request when it has a
 * Content-Length; counted through Hono's bodyLimit when it is chunked): a body split into many pieces
 * (a multi-byte character cut in two, a leading BOM) is read whole; a chunked body is stored under the
 * limit and refused with 413 over it; a client that goes away mid-body stores nothing and stalls nothing.
 */
import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, emulatorOn, http as call, type RunningEmulator } from "../helpers/emulator.js";

const MAX_BODY = 8192;
const T0 = 1_764_000_000;

/** POST `pieces` one by one (a pause between them), with a Content-Length or chunked. */
function post(emu: RunningEmulator, path: string, pieces: Buffer[], opts: { chunked?: boolean; abortAfter?: number } = {}) {
  const total = pieces.reduce((n, p) => n + p.length, 0);
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request(`${emu.url}${path}`, {
      method: "POST",
      headers: { "X-API-KEY": emu.apiKey, "Content-Type": "application/json", ...(opts.chunked ? {} : { "Content-Length": total }) },
    });
    req.on("response", (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (s: string) => (body += s));
      res.on("end", () => resolve({ status: res.statusCode!, body }));
    });
    req.on("error", reject);
    let i = 0;
    const next = () => {
      if (opts.abortAfter !== undefined && i === opts.abortAfter) {
        req.destroy();
        return resolve({ status: 0, body: "" });
      }
      if (i === pieces.length) return req.end();
      req.write(pieces[i++]);
      setTimeout(next, 5);
    };
    next();
  });
}

function pieces(text: string, size: number, prefix = Buffer.alloc(0)): Buffer[] {
  const bytes = Buffer.concat([prefix, Buffer.from(text, "utf8")]);
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) out.push(bytes.subarray(at, at + size));
  return out;
}

describe.each(BACKENDS)("reading request bodies on %s", (backend) => {
  let emu: RunningEmulator;
  let dataId: string;
  beforeAll(async () => {
    emu = await emulatorOn(backend, ["--max-body-bytes", String(MAX_BODY)]);
    dataId = (await call(emu)("POST", "/tool-state/stream/initialize", { points_per_chunk: 10 })).body.data_id;
  });
  afterAll(async () => {
    await emu?.stop();
  });

  const body = (chunk: number, channel: string) =>
    JSON.stringify({ data_id: dataId, chunk_index: chunk, channels: { [channel]: { timestamps: [T0 + chunk, T0 + chunk + 0.5], values: [chunk, chunk + 0.25], units: "°C" } } });

  it("a body in 7-byte pieces (a multi-byte character cut in two, a leading BOM) is read whole", async () => {
    const text = body(0, "température ✓");
    const res = await post(emu, "/tool-state/stream/chunk/multi", pieces(text, 7, Buffer.from([0xef, 0xbb, 0xbf])));
    expect(res.status, res.body).toBe(200);
    expect(JSON.parse(res.body)).toEqual([{ data_id: dataId, channel_name: "température ✓", chunk_index: 0, total_points: 2 }]);
  });

  it("a chunked body is stored under the limit and refused with 413 over it", async () => {
    const small = await post(emu, "/tool-state/stream/chunk/multi", pieces(body(1, "chunked"), 100), { chunked: true });
    expect(small.status, small.body).toBe(200);
    const big = JSON.stringify({ data_id: dataId, chunk_index: 2, channels: { chunked: { timestamps: Array(800).fill(T0), values: Array(800).fill(1.5) } } });
    expect(big.length).toBeGreaterThan(MAX_BODY);
    const refused = await post(emu, "/tool-state/stream/chunk/multi", pieces(big, 1000), { chunked: true });
    expect(refused.status).toBe(413);
  });

  it("a client that goes away mid-body stores nothing and stalls nothing", async () => {
    const text = body(3, "gone");
    expect((await post(emu, "/tool-state/stream/chunk/multi", pieces(text, 20), { abortAfter: 3 })).status).toBe(0);
    expect((await call(emu)("GET", "/healthz")).status).toBe(200);
    const back = await call(emu)("GET", `/tool-state/${dataId}/timeseries/`);
    expect(back.status).toBe(200);
    // Read back point by point: exactly what was answered 200, nothing of the request that went away.
    expect(Object.keys(back.body.properties).sort()).toEqual(["chunked", "température ✓"]);
    expect(back.body.properties["température ✓"]).toMatchObject({ unix_timestamp_ms: [T0 * 1000, T0 * 1000 + 500], values: [0, 0.25], units: "°C" });
    expect(back.body.properties.chunked).toMatchObject({ unix_timestamp_ms: [(T0 + 1) * 1000, (T0 + 1.5) * 1000], values: [1, 1.25], units: "°C" });
  });
});
