/** The fault-injecting proxy, against the real emulator process (PGlite; the proxy does not care which store). */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { emulatorOn, http, type RunningEmulator } from "./emulator.js";
import { randomFaults, startFaultProxy, type Fault, type FaultKind, type FaultProxy } from "./fault-proxy.js";

const T0 = 1_764_000_000;

describe("fault proxy in front of the emulator", () => {
  let emu: RunningEmulator;
  let direct: ReturnType<typeof http>;
  let proxy: FaultProxy;
  let via: ReturnType<typeof http>;

  beforeAll(async () => {
    emu = await emulatorOn("pglite");
    direct = http(emu);
  });
  afterAll(async () => {
    await emu?.stop();
  });
  beforeEach(async () => {
    proxy = await startFaultProxy({ target: emu.url });
    via = http({ url: proxy.url, apiKey: emu.apiKey });
  });
  afterEach(async () => {
    await proxy?.close();
  });

  async function newStream(ppc = 10): Promise<string> {
    const res = await direct("POST", "/metrology/stream/initialize", { points_per_chunk: ppc, stream_name: "fault proxy" });
    expect(res.status).toBe(200);
    return res.body.data_id as string;
  }
  const chunk = (dataId: string, chunkIndex: number, channel = "temperature") => ({
    data_id: dataId,
    chunk_index: chunkIndex,
    channel_name: channel,
    timestamps: [T0 + chunkIndex, T0 + chunkIndex + 0.5],
    values: [chunkIndex, chunkIndex + 0.5],
    units: "C",
  });
  async function stored(dataId: string): Promise<Record<string, { values: number[] }>> {
    const res = await direct("GET", `/metrology/${dataId}/timeseries/`);
    expect(res.status).toBe(200);
    return res.body.properties;
  }
  const onlyChunks = (kind: Fault): NonNullable<Parameters<FaultProxy["setPolicy"]>[0]> => (req) =>
    req.method === "POST" && req.path.includes("/stream/chunk") ? kind : { kind: "pass" };

  it("passes requests through unchanged: initialize, chunk (multi-byte body), read-back, errors, CORS preflight", async () => {
    const init = await via("POST", "/metrology/stream/initialize", { points_per_chunk: 10, stream_name: "через proxy µ" });
    const initDirect = await direct("POST", "/metrology/stream/initialize", { points_per_chunk: 10, stream_name: "через proxy µ" });
    expect(init.status).toBe(200);
    expect(Object.keys(init.body).sort()).toEqual(Object.keys(initDirect.body).sort());
    expect(init.headers.get("content-type")).toBe(initDirect.headers.get("content-type"));
    const a = init.body.data_id as string;
    const b = initDirect.body.data_id as string;

    // A channel name with multi-byte characters: the proxy must forward bytes and count them right.
    const viaChunk = await via("POST", "/metrology/stream/chunk", chunk(a, 3, "température µm"));
    const directChunk = await direct("POST", "/metrology/stream/chunk", chunk(b, 3, "température µm"));
    expect(viaChunk.status).toBe(200);
    expect({ ...viaChunk.body, data_id: "x" }).toEqual({ ...directChunk.body, data_id: "x" });
    expect(viaChunk.body).toEqual({ data_id: a, channel_name: "température µm", chunk_index: 3, total_points: 2 });

    // Read-back through the proxy (path + query) equals the direct read.
    const readVia = await via("GET", `/metrology/${a}/timeseries/?last_n=1`);
    const readDirect = await direct("GET", `/metrology/${a}/timeseries/?last_n=1`);
    expect(readVia.status).toBe(200);
    expect(readVia.body).toEqual(readDirect.body);
    expect(readVia.body.properties["température µm"].values).toEqual([3.5]);

    // Errors pass through too: bad key, invalid body (not JSON at all).
    expect((await via("GET", `/metrology/${a}/timeseries/`, undefined, { "X-API-KEY": "wrong" })).status).toBe(401);
    const badVia = await via("POST", "/metrology/stream/chunk", "{not json", {});
    const badDirect = await direct("POST", "/metrology/stream/chunk", "{not json", {});
    expect(badVia.status).toBe(badDirect.status);
    expect(badVia.body).toEqual(badDirect.body);

    // CORS preflight.
    const preflight = {
      Origin: "http://lab.example",
      "Access-Control-Request-Method": "POST",
      "Access-Control-Request-Headers": "x-api-key,content-type",
    };
    const pre = await via("OPTIONS", "/metrology/stream/chunk", undefined, preflight);
    const preDirect = await direct("OPTIONS", "/metrology/stream/chunk", undefined, preflight);
    expect(pre.status).toBe(preDirect.status);
    expect(pre.status).toBeLessThan(300);
    expect(pre.headers.get("access-control-allow-origin")).toBe("*");
    expect(pre.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("x-api-key");
    expect(pre.headers.get("access-control-allow-methods")).toBe(preDirect.headers.get("access-control-allow-methods"));

    expect(proxy.counts()).toEqual({ pass: 6, delay: 0, drop: 0, status: 0, "lose-response": 0, late: 0 });
    expect(proxy.requests()).toBe(6);
  });

  it("drop: the client sees a network error and the chunk never reaches the emulator", async () => {
    const id = await newStream();
    proxy.setPolicy(onlyChunks({ kind: "drop" }));
    await expect(via("POST", "/metrology/stream/chunk", chunk(id, 0))).rejects.toThrow();
    expect(await stored(id)).not.toHaveProperty("temperature");
    // Other requests still pass.
    expect((await via("GET", `/metrology/${id}/timeseries/`)).status).toBe(200);
    expect(proxy.counts()).toMatchObject({ drop: 1, pass: 1 });
    expect(proxy.log().map((e) => e.kind)).toEqual(["drop", "pass"]);
  });

  it("status 503 with Retry-After: answered by the proxy, nothing stored", async () => {
    const id = await newStream();
    proxy.setPolicy(onlyChunks({ kind: "status", status: 503, retryAfter: "2" }));
    const res = await via("POST", "/metrology/stream/chunk", chunk(id, 0));
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("2");
    expect(res.body).toEqual({ detail: "injected 503" });
    expect(await stored(id)).not.toHaveProperty("temperature");

    proxy.setPolicy(onlyChunks({ kind: "status", status: 429, body: "slow down" }));
    const res2 = await via("POST", "/metrology/stream/chunk", chunk(id, 0));
    expect(res2.status).toBe(429);
    expect(res2.headers.get("retry-after")).toBeNull();
    expect(res2.body).toBe("slow down");
    expect(await stored(id)).not.toHaveProperty("temperature");
    expect(proxy.counts().status).toBe(2);
  });

  it("lose-response: the client sees a network error, yet the emulator stored the chunk", async () => {
    const id = await newStream();
    proxy.setPolicy(onlyChunks({ kind: "lose-response" }));
    await expect(via("POST", "/metrology/stream/chunk", chunk(id, 2))).rejects.toThrow();
    const props = await stored(id);
    expect(props.temperature?.values).toEqual([2, 2.5]);
    expect(proxy.counts()["lose-response"]).toBe(1);
  });

  it("delay: the answer comes after at least the delay, and the chunk is stored", async () => {
    const id = await newStream();
    proxy.setPolicy(onlyChunks({ kind: "delay", ms: 400 }));
    const started = performance.now();
    const res = await via("POST", "/metrology/stream/chunk", chunk(id, 1));
    const elapsed = performance.now() - started;
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ chunk_index: 1, total_points: 2 });
    expect(elapsed).toBeGreaterThanOrEqual(350);
    expect((await stored(id)).temperature?.values).toEqual([1, 1.5]);
    expect(proxy.counts().delay).toBe(1);
  });

  it("late: the client sees a network error at once, and the chunk reaches the emulator afterwards", async () => {
    const id = await newStream();
    proxy.setPolicy(() => ({ kind: "late", ms: 400 }));
    await expect(via("POST", "/metrology/stream/chunk", chunk(id, 0))).rejects.toThrow();
    expect(await stored(id)).not.toHaveProperty("temperature"); // not yet
    await expect.poll(async () => (await stored(id)).temperature?.values, { timeout: 10_000 }).toEqual([0, 0.5]);
    expect(proxy.counts().late).toBe(1);
  });

  it("setOutage drops every request until turned off; counts() and requests() add up", async () => {
    const id = await newStream();
    expect((await via("GET", "/healthz")).status).toBe(200);
    proxy.setOutage(true);
    await expect(via("GET", "/healthz")).rejects.toThrow();
    await expect(via("POST", "/metrology/stream/initialize", { points_per_chunk: 1 })).rejects.toThrow();
    await expect(via("POST", "/metrology/stream/chunk", chunk(id, 0))).rejects.toThrow();
    expect(await stored(id)).not.toHaveProperty("temperature");
    proxy.setOutage(false);
    expect((await via("GET", "/healthz")).status).toBe(200);
    expect((await via("POST", "/metrology/stream/chunk", chunk(id, 0))).status).toBe(200);
    expect((await stored(id)).temperature?.values).toEqual([0, 0.5]);

    const counts = proxy.counts();
    expect(counts).toEqual({ pass: 3, delay: 0, drop: 3, status: 0, "lose-response": 0, late: 0 });
    expect(Object.values(counts).reduce((x, y) => x + y, 0)).toBe(proxy.requests());
    expect(proxy.requests()).toBe(6);
  });

  it("close() resolves promptly with a request held in a long delay and keep-alive sockets open", async () => {
    expect((await via("GET", "/healthz")).status).toBe(200); // leaves a keep-alive socket in fetch's pool
    proxy.setPolicy(() => ({ kind: "delay", ms: 30_000 }));
    const pending = via("GET", "/healthz");
    pending.catch(() => {});
    while (proxy.requests() < 2) await new Promise((r) => setTimeout(r, 10));
    let timer: NodeJS.Timeout | undefined;
    const closed = await Promise.race([
      proxy.close().then(() => "closed"),
      new Promise((r) => (timer = setTimeout(() => r("still open after 5 s"), 5_000))),
    ]);
    clearTimeout(timer);
    expect(closed).toBe("closed");
    await expect(pending).rejects.toThrow();
  });

  it("randomFaults with a fixed seed gives the same faults twice; exactly the forwarded chunks are stored", async () => {
    const policy = () =>
      randomFaults({ delay: 0.15, delayMs: 5, drop: 0.2, status503: 0.15, status429: 0.1, retryAfter: "1", loseResponse: 0.15 });

    async function run(seed: number) {
      const p = await startFaultProxy({ target: emu.url, seed, policy: policy() });
      const call = http({ url: p.url, apiKey: emu.apiKey });
      const id = await newStream(2);
      const outcomes: string[] = [];
      try {
        for (let i = 0; i < 30; i++) {
          const r = await call("POST", "/metrology/stream/chunk", chunk(id, i)).then(
            (res) => {
              if (res.status === 503 || res.status === 429) expect(res.headers.get("retry-after")).toBe("1");
              return String(res.status);
            },
            () => "network error",
          );
          outcomes.push(r);
          // Non-chunk traffic passes and does not consume the random sequence.
          if (i % 3 === 0) expect((await call("GET", `/metrology/${id}/timeseries/?last_n=0`)).status).toBe(200);
        }
      } finally {
        await p.close();
      }
      const log = p.log();
      const chunkKinds = log.filter((e) => e.path.includes("/stream/chunk")).map((e) => e.kind);
      expect(log.filter((e) => !e.path.includes("/stream/chunk")).every((e) => e.kind === "pass")).toBe(true);
      expect(Object.values(p.counts()).reduce((x, y) => x + y, 0)).toBe(p.requests());
      return { id, chunkKinds, outcomes };
    }

    const first = await run(42);
    const second = await run(42);
    const other = await run(7);
    expect(first.chunkKinds).toHaveLength(30);
    expect(second.chunkKinds).toEqual(first.chunkKinds);
    expect(second.outcomes).toEqual(first.outcomes);
    expect(other.chunkKinds).not.toEqual(first.chunkKinds);
    expect(new Set(first.chunkKinds).size).toBeGreaterThanOrEqual(4);

    // What the client saw matches the fault applied.
    const expectedOutcome: Record<FaultKind, string> = { pass: "200", delay: "200", drop: "network error", "lose-response": "network error", status: "", late: "network error" };
    first.chunkKinds.forEach((k, i) => {
      if (k === "status") expect(["503", "429"]).toContain(first.outcomes[i]);
      else expect(first.outcomes[i]).toBe(expectedOutcome[k]);
    });

    // The emulator holds exactly the chunks that were forwarded (pass, delay, lose-response).
    for (const r of [first, other]) {
      const forwarded = r.chunkKinds.flatMap((k, i) => (k === "pass" || k === "delay" || k === "lose-response" ? [i] : []));
      const values = (await stored(r.id)).temperature?.values ?? [];
      expect(values).toEqual(forwarded.flatMap((i) => [i, i + 0.5]));
    }
  });

  it("randomFaults refuses probabilities over 1 and leaves other paths alone", () => {
    expect(() => randomFaults({ drop: 0.6, status503: 0.6 })).toThrow(RangeError);
    const always = randomFaults({ drop: 1 });
    const never = () => {
      throw new Error("no draw expected");
    };
    expect(always({ method: "GET", path: "/metrology/x/timeseries/", body: "", index: 0 }, never)).toEqual({ kind: "pass" });
    expect(always({ method: "POST", path: "/metrology/stream/initialize", body: "{}", index: 1 }, never)).toEqual({ kind: "pass" });
    expect(always({ method: "POST", path: "/tool-state/stream/chunk/multi", body: "{}", index: 2 }, () => 0.5)).toEqual({ kind: "drop" });
    expect(randomFaults({ drop: 1, allPaths: true })({ method: "GET", path: "/healthz", body: "", index: 3 }, () => 0.5)).toEqual({ kind: "drop" });
  });
});
