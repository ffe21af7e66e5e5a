/**
 * Through a proxy that delays, drops connections, answers 503 and 429 with Retry-After, and loses
 * responses after the server committed: 3 channels × 50 000 points by each way in, then the server is
 * read back point by point — nothing missing, nothing doubled, every point in place, stream finalized.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TimeseriesStreamer } from "../../lib/index.js";
import { emulatorOn, type RunningEmulator } from "../helpers/emulator.js";
import { randomFaults, startFaultProxy, type FaultProxy } from "../helpers/fault-proxy.js";
import { expectExactScenario, readBack } from "../helpers/readback.js";
import { e2eScenario } from "../scenarios/e2e.js";

const POINTS = 50_000;
let emu: RunningEmulator;
let proxy: FaultProxy;

beforeAll(async () => {
  emu = await emulatorOn("pglite");
});
afterAll(async () => {
  await proxy?.close();
  await emu?.stop();
});

const FAULTS = { delay: 0.05, delayMs: 50, drop: 0.05, status503: 0.05, status429: 0.02, retryAfter: "1", loseResponse: 0.05 };

describe.each(["writable", "pushMulti", "run"] as const)("3 × %s points through faults", (method) => {
  it(`${method}: every point exactly once at its position, stream finalized`, async () => {
    proxy = await startFaultProxy({ target: emu.url, seed: method.length * 7919, policy: randomFaults(FAULTS) });
    try {
      const result = await e2eScenario({ TimeseriesStreamer }, {
        endpoint: proxy.url,
        apiKey: emu.apiKey,
        method,
        points: POINTS,
        pointsPerChunk: 100,
        streamName: `faults ${method}`,
      });
      const counts = proxy.counts();
      // the faults really happened, of every kind
      for (const kind of ["delay", "drop", "status", "lose-response"] as const) expect(counts[kind], kind).toBeGreaterThan(0);
      expect(result.errors).toBeGreaterThan(0);
      expect(result.finalizeStatus).toBe("finalized");
      expect(result.stats).toMatchObject({ acceptedPoints: 3 * POINTS, ackedPoints: 3 * POINTS, pendingSlices: 0, quarantined: 0, state: "finalized" });
      await expectExactScenario(emu, result.dataId, POINTS);
    } finally {
      await proxy.close();
    }
  }, 240_000);
});

describe("live, paused and refused", () => {
  it("partial slices make slow readings visible within about a second; the full chunk replaces them", async () => {
    const s = new TimeseriesStreamer({ apiKey: emu.apiKey, endpoint: emu.url, pointsPerChunk: 10 });
    const dataId = await s.initialize({ streamName: "live" });
    const writer = s.writable(dataId, { maxLatencyMs: 500 }).getWriter();
    const lags: number[] = [];
    const T = 1_764_000_000;
    for (let i = 0; i < 12; i++) {
      const written = Date.now();
      await writer.write({ channel: "T", t: T + i / 2, value: 600 + i, units: "C" });
      // poll until the server has it
      for (;;) {
        const back = await readBack(emu, dataId);
        if ((back.properties.T?.values.length ?? 0) >= i + 1) break;
        if (Date.now() - written > 5000) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      lags.push(Date.now() - written);
      await new Promise((r) => setTimeout(r, Math.max(0, 500 - (Date.now() - written))));
    }
    await writer.close();
    // A 10-point chunk at 2 readings/s fills in 5 s; without partial slices most readings would wait that long.
    expect(Math.max(...lags), `lags: ${lags.join(", ")}`).toBeLessThan(2500);
    const back = await readBack(emu, dataId);
    expect(back.properties.T!.values).toEqual(Array.from({ length: 12 }, (_, i) => 600 + i));
    expect(s.stats(dataId)).toMatchObject({ acceptedPoints: 12, ackedPoints: 12, state: "finalized" });
    await s.close();
  }, 60_000);

  it("a 401 pauses uploads and keeps the data; a new key resumes with nothing lost", async () => {
    const s = new TimeseriesStreamer({ apiKey: emu.apiKey, endpoint: emu.url, pointsPerChunk: 5 });
    const dataId = await s.initialize({ streamName: "revoked key" });
    s.setApiKey("revoked-key");
    const events: Array<{ type: string; detail: Record<string, unknown> }> = [];
    for (const type of ["error", "state"]) s.addEventListener(type, (e) => events.push({ type, detail: (e as CustomEvent).detail }));
    for (let c = 0; c < 4; c++) {
      await s.push(dataId, { chunkIndex: c, channelName: "P", timestamps: [0, 1, 2, 3, 4].map((i) => 1_764_000_000 + c * 5 + i), values: [0, 1, 2, 3, 4].map((i) => c * 5 + i) });
    }
    await expect.poll(() => s.stats(dataId).connection, { timeout: 10_000 }).toBe("auth-paused");
    expect(events.some((e) => e.type === "error" && e.detail.classification === "auth")).toBe(true);
    await new Promise((r) => setTimeout(r, 300));
    expect(s.stats(dataId).pendingSlices).toBeGreaterThanOrEqual(3); // kept, not dropped, not retried in a loop
    s.setApiKey(emu.apiKey);
    await s.flush(dataId);
    expect((await readBack(emu, dataId)).properties.P!.values).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect((await s.finalize(dataId)).status).toBe("finalized");
    await s.close();
  });

  it("a permanent refusal quarantines exactly the offending slice, with the server's detail; the rest arrives", async () => {
    const detail = [{ type: "value_error", loc: ["body", "values"], msg: "Value error, sensor offline", input: 0 }];
    const refused = (body: string) => {
      try {
        const b = JSON.parse(body) as { chunk_index?: number; channel_name?: string; channels?: Record<string, unknown> };
        return b.chunk_index === 3 && (b.channel_name === "pressure" || (b.channels !== undefined && "pressure" in b.channels));
      } catch {
        return false;
      }
    };
    proxy = await startFaultProxy({
      target: emu.url,
      policy: (req) => (req.method === "POST" && refused(req.body) ? { kind: "status", status: 422, body: JSON.stringify({ detail }) } : { kind: "pass" }),
    });
    try {
      const s = new TimeseriesStreamer({ apiKey: emu.apiKey, endpoint: proxy.url, pointsPerChunk: 10 });
      const quarantined: unknown[] = [];
      s.addEventListener("quarantine", (e) => quarantined.push((e as CustomEvent).detail));
      const dataId = await s.initialize({ streamName: "refused" });
      const T = 1_764_000_000;
      const readings = [];
      for (let i = 0; i < 60; i++) for (const channel of ["temperature", "pressure"]) readings.push({ channel, t: T + i, value: i });
      const w = s.writable(dataId, { maxLatencyMs: 0, finalizeOnClose: false }).getWriter();
      await w.write(readings);
      await w.close();
      const result = await s.finalize(dataId);
      expect(result.status).toBe("finalized");
      expect(result.quarantined.map((q) => [q.channel, q.chunkIndex, q.quarantined?.status, q.quarantined?.detail])).toEqual([["pressure", 3, 422, detail]]);
      expect(quarantined).toEqual([{ dataId, slices: [expect.objectContaining({ channel: "pressure", chunkIndex: 3, status: 422, detail, points: 10 })] }]);
      const back = await readBack(emu, dataId);
      expect(back.properties.temperature!.values).toEqual(Array.from({ length: 60 }, (_, i) => i));
      expect(back.properties.pressure!.values).toEqual(Array.from({ length: 60 }, (_, i) => i).filter((i) => i < 30 || i >= 40));
      expect(s.stats(dataId)).toMatchObject({ quarantined: 1, pendingSlices: 0, state: "finalized" });
      await s.close();
    } finally {
      await proxy.close();
    }
  });
});
