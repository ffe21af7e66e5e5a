/**
 * Start while the platform is unreachable (issue 10, failure 1): initialize() resolves within its bound
 * with a local id every call accepts; the initialize (with its sample link) is queued and sent before the
 * slices; the platform's id follows. A refused key still rejects. A slow initialize is adopted, not
 * repeated. A process that crashes before the platform was ever reached loses nothing: the next one on
 * the same FileOutbox initializes, sends, verifies and finalizes by itself. Every test reads back.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TimeseriesStreamer } from "../../lib/index.js";
import { skipDeno } from "../helpers/deno.js";
import { emulatorOn, type RunningEmulator } from "../helpers/emulator.js";
import { startFaultProxy, type FaultProxy } from "../helpers/fault-proxy.js";
import { runFixture } from "./fixture-process.js";
import { expectExact, pipelineStatus, T0, type Points } from "./exact.js";

let emu: RunningEmulator;
let proxy: FaultProxy;
beforeAll(async () => {
  emu = await emulatorOn("pglite");
  proxy = await startFaultProxy({ target: emu.url });
});
afterAll(async () => {
  await proxy?.close();
  await emu?.stop();
});

const initializes = () => proxy.log().filter((e) => e.method === "POST" && e.path.endsWith("/stream/initialize"));

describe("offline start", () => {
  it("initialize resolves offline with a local id that push, pushMulti, run, writable, flush, stats and finalize accept", async () => {
    proxy.setPolicy(undefined);
    proxy.setOutage(true);
    const s = new TimeseriesStreamer({ apiKey: emu.apiKey, endpoint: proxy.url, pointsPerChunk: 10, initializeTimeoutMs: 800, timeoutMs: 2000, retry: { baseDelayMs: 50, maxDelayMs: 300 } });
    const initialized: Array<{ dataId: string; platformDataId: string }> = [];
    s.addEventListener("initialized", (e) => initialized.push(e.detail));
    const dataId = await s.initialize({ streamName: "started offline", physicalSample: "offline-sample-1" });
    expect(dataId).toMatch(/^local-[0-9a-f-]{36}$/);
    expect(s.platformDataId(dataId)).toBeUndefined();
    expect(s.stats(dataId)).toMatchObject({ initialize: "queued", platformDataId: undefined, state: "open" });

    const expected = new Map<string, Points>([["a", []], ["b", []], ["c", []], ["w", []]]);
    const pts = (channel: string, from: number, n: number, base: number): Points => {
      const p: Points = Array.from({ length: n }, (_, i) => [T0 + (from + i) * 0.5, base + from + i]);
      expected.get(channel)!.push(...p);
      return p;
    };
    const a0 = pts("a", 0, 10, 0);
    await s.push(dataId, { chunkIndex: 0, channelName: "a", timestamps: a0.map((p) => p[0]), values: a0.map((p) => p[1]) });
    const a1 = pts("a", 10, 10, 0);
    const b1 = pts("b", 10, 4, 1000);
    await s.pushMulti(dataId, { chunkIndex: 1, channels: { a: { timestamps: a1.map((p) => p[0]), values: a1.map((p) => p[1]) }, b: { timestamps: b1.map((p) => p[0]), values: b1.map((p) => p[1]) } } });
    expected.set("b", [...b1]); // b's chunk 0 is empty: its points sit at positions 0…3 on the server
    const c = [pts("c", 0, 10, 2000), pts("c", 10, 7, 2000)];
    await s.run(dataId, { channelName: "c", dataIter: c.map((chunk) => [chunk.map((p) => p[0]), chunk.map((p) => p[1])] as const), flush: false });
    const writer = s.writable(dataId, { maxLatencyMs: 100, finalizeTimeoutMs: 60_000 }).getWriter();
    for (const [t, value] of pts("w", 0, 25, 3000)) await writer.write({ channel: "w", t, value });
    expect(s.stats(dataId).acceptedPoints).toBe(10 + 14 + 17 + 20); // w's open chunk (5 points) leaves after maxLatencyMs
    await expect(s.flush(dataId, { signal: AbortSignal.timeout(300) })).rejects.toThrow(); // nothing can leave yet

    proxy.setOutage(false);
    s.retryNow();
    await writer.close(); // finalizes: initialize, link, slices, verify, finalize
    expect(initialized).toHaveLength(1);
    const platformId = initialized[0]!.platformDataId;
    expect(initialized[0]!.dataId).toBe(dataId);
    expect(s.platformDataId(dataId)).toBe(platformId);
    expect(platformId).not.toBe(dataId);
    expect(s.stats(dataId)).toMatchObject({ state: "finalized", initialize: "done", platformDataId: platformId, acceptedPoints: 66, ackedPoints: 66, pendingSlices: 0, verify: "agreed" });
    expect((await s.finalize(dataId)).status).toBe("finalized");
    await expectExact(emu, platformId, expected);
    expect(await pipelineStatus(emu, platformId)).toBe("success");
    const entry = (await s.client.listDataEntries({ dataIds: [platformId] }))[0]!;
    expect(entry.rawName).toBe("started offline");
    const sample = (await s.client.listPhysicalSamples()).find((x) => x.name === "offline-sample-1");
    expect(entry.physicalSampleId).toBe(sample?.id);
    await s.close();
  }, 120_000);

  it("a refused key still rejects at once; a slow initialize is adopted, never sent twice", async () => {
    proxy.setOutage(false);
    proxy.setPolicy(undefined);
    const refused = new TimeseriesStreamer({ apiKey: "not-a-key", endpoint: proxy.url, initializeTimeoutMs: 5000 });
    await expect(refused.initialize({ streamName: "refused" })).rejects.toMatchObject({ classification: "auth" });
    await refused.close();

    const before = initializes().length;
    proxy.setPolicy((req) => (req.path.endsWith("/stream/initialize") ? { kind: "delay", ms: 1500 } : { kind: "pass" }));
    const s = new TimeseriesStreamer({ apiKey: emu.apiKey, endpoint: proxy.url, pointsPerChunk: 5, initializeTimeoutMs: 200, timeoutMs: 10_000 });
    const dataId = await s.initialize({ streamName: "slow initialize" });
    expect(dataId).toMatch(/^local-/);
    const points: Points = Array.from({ length: 12 }, (_, i) => [T0 + i, i * 1.5]);
    for (let chunk = 0; chunk < 3; chunk++) {
      const part = points.slice(chunk * 5, chunk * 5 + 5);
      await s.push(dataId, { chunkIndex: chunk, channelName: "x", timestamps: part.map((p) => p[0]), values: part.map((p) => p[1]) });
    }
    const result = await s.finalize(dataId, { timeoutMs: 60_000 });
    expect(result).toMatchObject({ status: "finalized", unsent: [], corrupt: [], unverified: [] });
    expect(initializes().length - before, "initialize requests").toBe(1);
    const platformId = s.platformDataId(dataId)!;
    await expectExact(emu, platformId, new Map([["x", points]]));
    await s.close();
    proxy.setPolicy(undefined);
  }, 120_000);

  it.each(["node", "deno"] as const)("%s: a crash before the platform was ever reached loses nothing: the next process on the FileOutbox finishes", async (runtime) => {
    if (runtime === "deno" && skipDeno) return;
    proxy.setPolicy(undefined);
    proxy.setOutage(true);
    const dir = await mkdtemp(join(tmpdir(), "offline-crash-"));
    const env = { API_KEY: emu.apiKey, ENDPOINT: proxy.url, DIR: dir, POINTS: "400" };
    const producer = runFixture(runtime, { ...env, MODE: "produce" });
    const started = await producer.waitFor((l) => "dataId" in l);
    expect(started.dataId).toMatch(/^local-/);
    expect(started.platformDataId).toBeNull();
    const closed = await producer.waitFor((l) => "closed" in l);
    expect(closed).toMatchObject({ closed: "closing", initialize: "queued" });
    await producer.kill();

    proxy.setOutage(false);
    const recover = runFixture(runtime, { ...env, MODE: "recover", DATA_ID: started.dataId as string });
    const done = (await recover.waitFor((l) => "done" in l, 90_000)) as { platformDataId: string; stats: Record<string, unknown> };
    expect(await recover.exit).toBe(0);
    expect(done.stats).toMatchObject({ state: "finalized", pendingSlices: 0, initialize: "done", verify: "agreed" });
    const expected = new Map<string, Points>(["T", "P", "R"].map((ch, c) => [ch, Array.from({ length: 400 }, (_, k) => [T0 + k * 0.01, c * 10_000 + k] as [number, number])]));
    await expectExact(emu, done.platformDataId, expected);
    expect(await pipelineStatus(emu, done.platformDataId)).toBe("success");
  }, 180_000);
});
