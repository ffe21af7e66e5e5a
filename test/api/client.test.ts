/**
 * AtomscaleClient against the real emulator process, plus the failure modes no emulator gives on demand —
 * each on every transport a chunk upload can take (fetch, and Node's keep-alive node:http agent).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AtomscaleClient, normalizeTimeseries } from "../../lib/api/client.js";
import { ApiError, classifyStatus, parseRetryAfter } from "../../lib/api/errors.js";
import { fetchTransport, type Transport } from "../../lib/api/transport.js";
import { nodeTransport } from "../../lib/api/transport-node.js";
import { BACKENDS, emulatorOn, http, type RunningEmulator } from "../helpers/emulator.js";

/** The transports of the hot path; every test below runs on each. */
const TRANSPORTS: Array<[string, Transport]> = [
  ["fetch", fetchTransport()],
  ["node:http", nodeTransport()],
];
const ON_EACH = BACKENDS.flatMap((backend) => TRANSPORTS.map(([name, transport]) => [backend, name, transport] as const));

describe.each(ON_EACH)("AtomscaleClient against the emulator on %s, uploads over %s", (backend, _name, transport) => {
  let emu: RunningEmulator;
  let client: AtomscaleClient;
  beforeAll(async () => {
    emu = await emulatorOn(backend);
    client = new AtomscaleClient({ apiKey: emu.apiKey, endpoint: `${emu.url}/`, transport });
  });
  afterAll(async () => {
    await emu?.stop();
  });

  it("streams with every ingest method and reads back in camelCase", async () => {
    const { dataId, processedDataId } = await client.initializeStream({ pointsPerChunk: 4, streamName: "client run" });
    expect(dataId).toMatch(/^[0-9a-f-]{36}$/);
    expect(processedDataId).toMatch(/^[0-9a-f-]{36}$/);
    const first = await client.ingestChunk({
      dataId,
      chunkIndex: 0,
      channelName: "temperature",
      timestamps: new Float64Array([1705312200, 1705312201, 1705312202, 1705312203]),
      values: new Float64Array([600.5, 601, 601.5, 602]),
      units: "C",
    });
    expect(first).toEqual({ dataId, channelName: "temperature", chunkIndex: 0, totalPoints: 4 });
    const multi = await client.ingestChunkMulti({
      dataId,
      chunkIndex: 1,
      channels: {
        temperature: { timestamps: [1705312204], values: [602.5] },
        pressure: { timestamps: [1705312204, 1705312205], values: [1e-7, 2e-7], units: "mbar" },
      },
    });
    expect(multi.map((r) => [r.channelName, r.totalPoints])).toEqual([["temperature", 5], ["pressure", 2]]);
    const ts = await client.getTimeseries(dataId);
    expect(ts?.properties.temperature).toEqual({
      unixTimestampMs: [1705312200000, 1705312201000, 1705312202000, 1705312203000, 1705312204000],
      relativeTimeSeconds: [0, 1, 2, 3, 4],
      values: [600.5, 601, 601.5, 602, 602.5],
      units: "C",
    });
    expect((await client.getTimeseries(dataId, { lastN: 1 }))?.properties.pressure?.values).toEqual([2e-7]);
    expect(await client.finalizeStream(dataId)).toEqual({ dataId, processedDataId });
    const [entry] = await client.listDataEntries({ dataIds: [dataId] });
    // The default prefix is /tool-state now (issue 12), so the stream is a tool_state one.
    expect(entry).toMatchObject({ dataId, rawName: "client run", pipelineStatus: "success", charSourceType: "tool_state" });
    expect(await client.getTimeseries("00000000-0000-4000-8000-00000000000f", { returnNullIfMissing: true })).toBeNull();
  });

  it("instruments, samples, links and project tracking", async () => {
    const instruments = await client.listGrowthInstruments();
    expect(instruments.length).toBeGreaterThanOrEqual(1);
    expect(instruments[0]).toMatchObject({ synthSourceId: expect.any(Number), sourceName: expect.any(String) });
    const created = await client.createGrowthInstrument({ name: "CVD reactor", label: "CVD-3", type: "cvd" });
    expect(created).toMatchObject({ sourceName: "CVD reactor", synthSourceType: "cvd" });
    expect((await client.listGrowthInstruments()).map((i) => i.synthSourceId)).toContain(created.synthSourceId);

    const sample = await client.createPhysicalSample({ name: "GaN-001", growthInstrumentId: created.synthSourceId });
    expect(sample).toMatchObject({ name: "GaN-001", growthInstrumentId: created.synthSourceId });
    const { dataId } = await client.initializeStream({ pointsPerChunk: 10, synthSourceId: created.synthSourceId });
    await client.linkPhysicalSample({ dataIds: [dataId], physicalSampleId: sample.id });
    const project = "a1b2c3d4-0000-4000-8000-000000000001";
    await client.trackSampleInProject({ projectId: project, physicalSampleId: sample.id });
    const config = await http(emu)("GET", `/projects/${project}/configuration`);
    expect(config.body).toEqual({ project_id: project, tracking_physical_sample_ids: [sample.id], active_tracking_physical_sample_id: sample.id });
    const listed = await client.listPhysicalSamples({ physicalSampleId: sample.id });
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ id: sample.id, name: "GaN-001", numDataItems: 1 });
    expect((await client.listPhysicalSamples({ hasDataItem: true })).map((s) => s.id)).toContain(sample.id);
    const [entry] = await client.listDataEntries({ physicalSampleIds: [sample.id] });
    expect(entry).toMatchObject({ dataId, physicalSampleName: "GaN-001", synthSourceId: created.synthSourceId, sourceName: "CVD reactor" });
  });

  it("streamPrefix \"/metrology\" (the deprecated alias) makes metrology streams", async () => {
    const legacy = new AtomscaleClient({ apiKey: emu.apiKey, endpoint: emu.url, streamPrefix: "/metrology" });
    expect(client.streamPrefix).toBe("/tool-state");
    const { dataId } = await legacy.initializeStream({ pointsPerChunk: 2 });
    await legacy.ingestChunk({ dataId, chunkIndex: 0, channelName: "x", timestamps: [1705312200], values: [1] });
    expect((await legacy.getTimeseries(dataId))?.properties.x?.values).toEqual([1]);
    await legacy.finalizeStream(dataId);
    expect((await client.listDataEntries({ dataIds: [dataId] }))[0]?.charSourceType).toBe("metrology");
  });

  it("any channel name travels and reads back: __proto__, constructor, toString (Map or object in, null-prototype out)", async () => {
    const { dataId } = await client.initializeStream({ pointsPerChunk: 2 });
    const channels = new Map([
      ["__proto__", { timestamps: [1705312200, 1705312201], values: [1, 2], units: "p" }],
      ["constructor", { timestamps: [1705312200], values: [3] }],
    ]);
    const acks = await client.ingestChunkMulti({ dataId, chunkIndex: 0, channels });
    expect(acks.map((a) => [a.channelName, a.totalPoints])).toEqual([["__proto__", 2], ["constructor", 1]]);
    await client.ingestChunk({ dataId, chunkIndex: 0, channelName: "toString", timestamps: [1705312200], values: [4] });
    const ts = await client.getTimeseries(dataId);
    expect(Object.getPrototypeOf(ts!.properties)).toBeNull();
    expect(Object.keys(ts!.properties).sort()).toEqual(["__proto__", "constructor", "toString"]);
    expect(ts!.properties["__proto__"]).toMatchObject({ values: [1, 2], units: "p", unixTimestampMs: [1705312200000, 1705312201000] });
    const property = (name: string) => Object.getOwnPropertyDescriptor(ts!.properties, name)?.value as { values: unknown[] } | undefined;
    expect(property("constructor")?.values).toEqual([3]);
    expect(property("toString")?.values).toEqual([4]);
  });

  it("sends exactly the documented snake_case names, with X-API-KEY, through an injected fetch", async () => {
    const seen: Array<{ url: string; key: string | null; body: unknown }> = [];
    const spy: typeof fetch = async (input, init) => {
      const request = new Request(input, init);
      const text = request.method === "POST" ? await request.clone().text() : "";
      seen.push({ url: request.url, key: request.headers.get("x-api-key"), body: text ? JSON.parse(text) : undefined });
      return fetch(request);
    };
    const spied = new AtomscaleClient({ apiKey: emu.apiKey, endpoint: emu.url, fetch: spy });
    const { dataId } = await spied.initializeStream({ pointsPerChunk: 3, streamName: "wire", projectId: null, synthSourceId: null });
    await spied.ingestChunk({ dataId, chunkIndex: 0, channelName: "c", timestamps: [1705312200], values: [1], units: "nm" });
    await spied.ingestChunkMulti({ dataId, chunkIndex: 1, channels: { c: { timestamps: [1705312201], values: [2] } } });
    await spied.finalizeStream(dataId);
    await spied.createGrowthInstrument({ name: "PLD", label: "PLD-1", type: "pld" });
    // The SDK's paths: /tool-state (the default since issue 12), /instruments/synthesis without a slash.
    expect(seen.map((s) => new URL(s.url).pathname)).toEqual([
      "/tool-state/stream/initialize",
      "/tool-state/stream/chunk",
      "/tool-state/stream/chunk/multi",
      `/tool-state/stream/${dataId}/finalize`,
      "/instruments/synthesis",
    ]);
    expect(seen.every((s) => s.key === emu.apiKey)).toBe(true);
    expect(seen[0]!.body).toEqual({ points_per_chunk: 3, stream_name: "wire", project_id: null });
    expect(seen[1]!.body).toEqual({ data_id: dataId, chunk_index: 0, channel_name: "c", timestamps: [1705312200], values: [1], units: "nm" });
    expect(seen[2]!.body).toEqual({ data_id: dataId, chunk_index: 1, channels: { c: { timestamps: [1705312201], values: [2] } } });
    expect(seen[3]!.body).toBeUndefined();
  });

  it("classifies the server's refusals: 401 auth (a new key resumes), 404/409/413/422 permanent", async () => {
    const wrong = new AtomscaleClient({ apiKey: "wrong-key", endpoint: emu.url, transport });
    const e401 = await wrong.listGrowthInstruments().catch((e: unknown) => e);
    expect(e401).toBeInstanceOf(ApiError);
    expect(e401).toMatchObject({ status: 401, classification: "auth", code: "http_401", detail: "Invalid API key." });
    expect((e401 as Error).message).not.toContain("wrong-key");
    const upload401 = await wrong.ingestChunk({ dataId: "d", chunkIndex: 0, channelName: "c", timestamps: [1705312200], values: [1] }).catch((e: unknown) => e);
    expect(upload401).toBeInstanceOf(ApiError);
    expect(upload401).toMatchObject({ status: 401, classification: "auth", code: "http_401", detail: "Invalid API key." });
    expect((upload401 as Error).message).toContain("POST /tool-state/stream/chunk");
    expect((upload401 as Error).message).not.toContain("wrong-key");
    wrong.setApiKey(emu.apiKey);
    expect((await wrong.listGrowthInstruments()).length).toBeGreaterThan(0);

    const e404 = await client.finalizeStream("no-such-stream").catch((e: unknown) => e);
    expect(e404).toMatchObject({ status: 404, classification: "permanent" });
    const { dataId } = await client.initializeStream({ pointsPerChunk: 2 });
    const e422 = await client.ingestChunk({ dataId, chunkIndex: -1, channelName: "", timestamps: [1], values: [1] }).catch((e: unknown) => e);
    expect(e422).toMatchObject({ status: 422, classification: "permanent" });
    expect((e422 as ApiError).message).toContain("chunk_index: Input should be greater than or equal to 0 (got -1)");
    expect((e422 as ApiError).message).toContain("channel_name: String should have at least 1 character");
    const e422b = await client.ingestChunk({ dataId, chunkIndex: 0, channelName: "x", timestamps: [1, 2, 3], values: [1, 2, 3] }).catch((e: unknown) => e);
    expect((e422b as ApiError).message).toMatch(/3 points exceed points_per_chunk \(2\)/);
    await client.finalizeStream(dataId);
    const e409 = await client.ingestChunk({ dataId, chunkIndex: 0, channelName: "x", timestamps: [1], values: [1] }).catch((e: unknown) => e);
    expect(e409).toMatchObject({ status: 409, classification: "permanent" });
  });
});

describe.each(TRANSPORTS)("AtomscaleClient failure modes, uploads over %s", (_name, transport) => {
  let server: Server;
  let base: string;
  const behaviour: { next: (res: import("node:http").ServerResponse) => void } = { next: () => {} };
  beforeAll(async () => {
    server = createServer((_req, res) => behaviour.next(res));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const upload = (client: AtomscaleClient, signal?: AbortSignal) =>
    client.ingestChunk({ dataId: "d", chunkIndex: 0, channelName: "a", timestamps: [1705312200], values: [1] }, signal);

  it("503 with Retry-After seconds, and 429 with an HTTP date, are transient with the wait in ms", async () => {
    const client = new AtomscaleClient({ apiKey: "k", endpoint: base, transport });
    behaviour.next = (res) => res.writeHead(503, { "Retry-After": "7", "Content-Type": "application/json" }).end('{"detail":"busy"}');
    for (const send of [() => client.listGrowthInstruments(), () => upload(client)]) {
      const e503 = (await send().catch((e: unknown) => e)) as ApiError;
      expect(e503).toBeInstanceOf(ApiError);
      expect(e503).toMatchObject({ status: 503, classification: "transient", retryAfterMs: 7000, detail: "busy" });
    }
    const when = new Date(Date.now() + 30_000).toUTCString();
    behaviour.next = (res) => res.writeHead(429, { "Retry-After": when }).end("slow down");
    for (const send of [() => client.listGrowthInstruments(), () => upload(client)]) {
      const e429 = (await send().catch((e: unknown) => e)) as ApiError;
      expect(e429).toMatchObject({ status: 429, classification: "transient", body: "slow down" });
      expect(e429.retryAfterMs).toBeGreaterThan(25_000);
      expect(e429.retryAfterMs).toBeLessThanOrEqual(30_000);
    }
  });

  it("an upload carries the URL, content-type, X-API-KEY and the exact JSON text of JSON.stringify", async () => {
    const seen: Array<{ url: string; headers: import("node:http").IncomingHttpHeaders; body: string }> = [];
    server.removeAllListeners("request");
    server.on("request", (req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse) => {
      let body = "";
      req.setEncoding("utf8");
      req.on("data", (d: string) => (body += d));
      req.on("end", () => {
        seen.push({ url: req.url ?? "", headers: req.headers, body });
        res.writeHead(200).end("[]");
      });
    });
    try {
      const client = new AtomscaleClient({ apiKey: "secret-key", endpoint: `${base}/`, transport, streamPrefix: "/metrology" });
      const channels = new Map<string, { timestamps: ArrayLike<number>; values: ArrayLike<number>; units?: string }>([
        ["__proto__", { timestamps: new Float64Array([1705312200.125, 1705312200.5]), values: new Float64Array([-0, 1e21]), units: "°C \"q\"" }],
        ["b", { timestamps: [1705312201], values: [Number.NaN] }],
        ["c", { timestamps: new Float32Array([1.5]), values: [5e-324] }],
      ]);
      await client.ingestChunkMulti({ dataId: "d\u2028", chunkIndex: 7, channels });
      await client.ingestChunk({ dataId: "d", chunkIndex: 8, channelName: "x", timestamps: [1705312202], values: [0.1], units: "nm" });
      expect(seen.map((s) => s.url)).toEqual(["/metrology/stream/chunk/multi", "/metrology/stream/chunk"]);
      for (const s of seen) {
        expect(s.headers["x-api-key"]).toBe("secret-key");
        expect(s.headers["content-type"]).toBe("application/json");
        expect(Number(s.headers["content-length"])).toBe(Buffer.byteLength(s.body));
      }
      const plain = (a: ArrayLike<number>) => Array.from(a);
      expect(seen[0]!.body).toBe(
        JSON.stringify({
          data_id: "d\u2028",
          chunk_index: 7,
          channels: Object.fromEntries([...channels].map(([k, p]) => [k, { timestamps: plain(p.timestamps), values: plain(p.values), ...(p.units ? { units: p.units } : {}) }])),
        }),
      );
      expect(JSON.parse(seen[0]!.body).channels.b.values).toEqual([null]); // NaN travels as JSON.stringify sends it
      expect(seen[1]!.body).toBe(JSON.stringify({ data_id: "d", chunk_index: 8, channel_name: "x", timestamps: [1705312202], values: [0.1], units: "nm" }));
    } finally {
      server.removeAllListeners("request");
      server.on("request", (_req, res) => behaviour.next(res));
    }
  });

  it("any 2xx acknowledges chunk, multi and finalize, whatever its body (204, {}, \"ok\", [], junk)", async () => {
    const answers: Array<[number, string]> = [[204, ""], [200, "{}"], [200, '"ok"'], [200, "[]"], [200, "not json at all"], [202, "null"]];
    for (const direct of [true, false]) {
      // direct: the hot path straight through the transport; otherwise through ky (hooks configured)
      const client = new AtomscaleClient({ apiKey: "k", endpoint: base, transport, ...(direct ? {} : { hooks: { beforeRequest: [() => {}] } }) });
      for (const [status, body] of answers) {
        behaviour.next = (res) => res.writeHead(status).end(status === 204 ? undefined : body);
        const label = `${direct ? "direct" : "ky"} ${status} ${body}`;
        expect(await client.ingestChunk({ dataId: "d", chunkIndex: 3, channelName: "a", timestamps: [1705312200], values: [1] }), label).toEqual({
          dataId: "d",
          channelName: "a",
          chunkIndex: 3,
          totalPoints: null,
        });
        const multi = await client.ingestChunkMulti({ dataId: "d", chunkIndex: 4, channels: { a: { timestamps: [1705312200], values: [1] }, b: { timestamps: [1705312200], values: [2] } } });
        expect(multi, label).toEqual([
          { dataId: "d", channelName: "a", chunkIndex: 4, totalPoints: null },
          { dataId: "d", channelName: "b", chunkIndex: 4, totalPoints: null },
        ]);
        expect(await client.finalizeStream("d"), label).toEqual({ dataId: "d", processedDataId: null });
      }
      // a total sent as a numeric string is still a total
      behaviour.next = (res) => res.writeHead(200).end('{"data_id":"d","channel_name":"a","chunk_index":3,"total_points":"7"}');
      expect((await client.ingestChunk({ dataId: "d", chunkIndex: 3, channelName: "a", timestamps: [1], values: [1] })).totalPoints).toBe(7);
    }
  });

  it("read-back accepts unix_timestamp_ms and values as numbers or numeric strings; anything else is a clear error", async () => {
    const client = new AtomscaleClient({ apiKey: "k", endpoint: base });
    behaviour.next = (res) =>
      res
        .writeHead(200, { "Content-Type": "application/json" })
        .end('{"properties":{"__proto__":{"unix_timestamp_ms":["1705312200000","1705312200100.000",1705312200200],"relative_time_seconds":["0","0.1",0.2],"values":["1.5",null,"-2e-3"],"units":"C"}}}');
    const ts = await client.getTimeseries("d");
    expect(Object.keys(ts!.properties)).toEqual(["__proto__"]);
    expect(ts!.properties["__proto__"]).toEqual({
      unixTimestampMs: [1705312200000, 1705312200100, 1705312200200],
      relativeTimeSeconds: [0, 0.1, 0.2],
      values: [1.5, null, -0.002],
      units: "C",
    });
    behaviour.next = (res) => res.writeHead(200).end('{"properties":{"t":{"unix_timestamp_ms":["soon"],"values":[1]}}}');
    const bad = (await client.getTimeseries("d").catch((e: unknown) => e)) as ApiError;
    expect(bad).toBeInstanceOf(ApiError);
    expect(bad).toMatchObject({ code: "bad_response", classification: "permanent" });
    expect(bad.message).toMatch(/unix_timestamp_ms of "t" holds "soon", not a number/);
  });

  it("a server that never answers is a transient timeout", async () => {
    behaviour.next = () => {}; // hold the request open
    const client = new AtomscaleClient({ apiKey: "k", endpoint: base, timeoutMs: 300, transport });
    for (const send of [() => client.listGrowthInstruments(), () => upload(client)]) {
      const e = (await send().catch((x: unknown) => x)) as ApiError;
      expect(e).toBeInstanceOf(ApiError);
      expect(e).toMatchObject({ code: "timeout", classification: "transient", status: undefined });
    }
  });

  it("a refused connection is a transient network error", async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const client = new AtomscaleClient({ apiKey: "k", endpoint: `http://127.0.0.1:${port}`, transport });
    const e = (await client.initializeStream({ pointsPerChunk: 1 }).catch((x: unknown) => x)) as ApiError;
    expect(e).toMatchObject({ code: "network", classification: "transient" });
    expect(e.message).toContain("POST /tool-state/stream/initialize failed");
    const u = (await upload(client).catch((x: unknown) => x)) as ApiError;
    expect(u).toBeInstanceOf(ApiError);
    expect(u).toMatchObject({ code: "network", classification: "transient", status: undefined });
    expect(u.message).toContain("POST /tool-state/stream/chunk failed");
  });

  it("a caller's abort passes through as an AbortError, not an ApiError", async () => {
    behaviour.next = () => {};
    const client = new AtomscaleClient({ apiKey: "k", endpoint: base, transport });
    for (const send of [(signal: AbortSignal) => client.getTimeseries("x", { signal }), (signal: AbortSignal) => upload(client, signal)]) {
      const controller = new AbortController();
      const pending = send(controller.signal);
      controller.abort();
      const e = await pending.catch((x: unknown) => x);
      expect(e).not.toBeInstanceOf(ApiError);
      expect((e as Error).name).toBe("AbortError");
    }
  });

  it("refuses bad options with errors naming the option and value", () => {
    expect(() => new AtomscaleClient({ apiKey: "" })).toThrow(/apiKey/);
    expect(() => new AtomscaleClient({ apiKey: "k", streamPrefix: "/rheed" as never })).toThrow(/streamPrefix.*"\/rheed"/);
    expect(() => new AtomscaleClient({ apiKey: "k", endpoint: "api.atomscale.ai" })).toThrow(/endpoint.*"api.atomscale.ai"/);
    expect(new AtomscaleClient({ apiKey: "k" }).endpoint).toBe("https://api.atomscale.ai");
  });
});

describe("the default transport", () => {
  it("under Node, uploads go over node:http and the other requests over fetch; a given fetch takes the uploads too", async () => {
    const agents: Array<[string, string | undefined]> = [];
    const server = createServer((req, res) => {
      agents.push([req.url ?? "", req.headers["user-agent"]]);
      req.resume();
      req.on("end", () => res.writeHead(200).end("{}"));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const client = new AtomscaleClient({ apiKey: "k", endpoint: base });
      await client.ingestChunk({ dataId: "d", chunkIndex: 0, channelName: "a", timestamps: [1705312200], values: [1] });
      await client.finalizeStream("d");
      let viaFetch = 0;
      const counted = new AtomscaleClient({ apiKey: "k", endpoint: base, fetch: (input, init) => (viaFetch++, fetch(input, init)) });
      await counted.ingestChunk({ dataId: "d", chunkIndex: 1, channelName: "a", timestamps: [1705312200], values: [1] });
      expect(viaFetch).toBe(1);
      // undici's fetch names itself in User-Agent; node:http sends none.
      expect(agents[0]).toEqual(["/tool-state/stream/chunk", undefined]);
      expect(agents[1]![1]).toBeTruthy();
      expect(agents[2]![1]).toBeTruthy();
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});

describe("classification and parsing", () => {
  it("classifies every status class as design §3.2 says", () => {
    const table: Record<number, string> = { 400: "permanent", 401: "auth", 403: "auth", 404: "permanent", 408: "transient", 409: "permanent", 413: "permanent", 422: "permanent", 425: "transient", 429: "transient", 500: "transient", 502: "transient", 503: "transient", 504: "transient" };
    for (const [status, cls] of Object.entries(table)) expect(classifyStatus(Number(status)), status).toBe(cls);
  });

  it("reads Retry-After as seconds or as an HTTP date, never as milliseconds", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(parseRetryAfter("120", now)).toBe(120_000);
    expect(parseRetryAfter("0", now)).toBe(0);
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:30 GMT", now)).toBe(30_000);
    expect(parseRetryAfter("Wed, 31 Dec 2025 23:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  it("turns the legacy `series` read-back into properties, dropping rows without a time", () => {
    const ts = normalizeTimeseries({
      series: [
        { unix_timestamp_ms: 1000, relative_time_seconds: 0, temperature: 600, frame_number: 1 },
        { unix_timestamp_ms: null, relative_time_seconds: 0.5, temperature: 999 },
        { unix_timestamp_ms: 2000, relative_time_seconds: 1, temperature: 601, pressure: 1e-7 },
      ],
    });
    expect(ts.properties).toEqual({
      temperature: { unixTimestampMs: [1000, 2000], relativeTimeSeconds: [0, 1], values: [600, 601], units: null },
      pressure: { unixTimestampMs: [2000], relativeTimeSeconds: [1], values: [1e-7], units: null },
    });
    expect(() => normalizeTimeseries({ rows: [] } as never)).toThrow(/Unrecognised timeseries shape/);
  });
});
