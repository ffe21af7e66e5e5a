/** The uploader's ordering promises, observed at the wire (an injected fetch) against the real emulator. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TimeseriesStreamer } from "../../lib/index.js";
import { emulatorOn, type RunningEmulator } from "../helpers/emulator.js";
import { startFaultProxy, type FaultProxy } from "../helpers/fault-proxy.js";
import { readBack } from "../helpers/readback.js";

const T0 = 1_764_000_000;
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

/** The slice keys a chunk or chunk/multi request carries. */
async function keysOf(request: Request): Promise<string[]> {
  if (request.method !== "POST" || !new URL(request.url).pathname.includes("/stream/chunk")) return [];
  const body = JSON.parse(await request.clone().text()) as { chunk_index: number; channel_name?: string; channels?: Record<string, unknown> };
  const channels = body.channel_name !== undefined ? [body.channel_name] : Object.keys(body.channels ?? {});
  return channels.map((c) => `${c}#${body.chunk_index}`);
}

describe("uploader ordering", () => {
  it("never has two versions of one key in flight, even with partial slices every 20 ms against a slow server", async () => {
    proxy.setPolicy(() => ({ kind: "delay", ms: 120 }));
    const inFlight = new Map<string, number>();
    let overlaps = 0;
    let requests = 0;
    const watching: typeof fetch = async (input, init) => {
      const request = new Request(input, init);
      const keys = await keysOf(request);
      requests += keys.length > 0 ? 1 : 0;
      for (const k of keys) {
        if (inFlight.get(k)) overlaps++;
        inFlight.set(k, (inFlight.get(k) ?? 0) + 1);
      }
      try {
        return await fetch(request);
      } finally {
        for (const k of keys) inFlight.set(k, inFlight.get(k)! - 1);
      }
    };
    const s = new TimeseriesStreamer({ apiKey: emu.apiKey, endpoint: proxy.url, pointsPerChunk: 50, fetch: watching, concurrency: 8 });
    const dataId = await s.initialize({ streamName: "one version in flight" });
    const w = s.writable(dataId, { maxLatencyMs: 20 }).getWriter();
    for (let i = 0; i < 200; i++) {
      await w.write([{ channel: "a", t: T0 + i, value: i }, { channel: "b", t: T0 + i, value: -i - 1 }]);
      await new Promise((r) => setTimeout(r, 5));
    }
    await w.close();
    proxy.setPolicy(undefined);
    expect(requests).toBeGreaterThan(8); // partials really went out, many of them to keys still being sent
    expect(overlaps).toBe(0);
    const back = await readBack(emu, dataId);
    expect(back.properties.a!.values).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(back.properties.b!.values).toEqual(Array.from({ length: 200 }, (_, i) => -i - 1));
    await s.close();
  });

  it("after an outage, live data goes out early instead of waiting behind the backlog", async () => {
    const order: number[] = [];
    const recording: typeof fetch = async (input, init) => {
      const request = new Request(input, init);
      const keys = await keysOf(request);
      const response = await fetch(request);
      if (response.ok) for (const k of keys) order.push(Number(k.split("#")[1]));
      return response;
    };
    const s = new TimeseriesStreamer({ apiKey: emu.apiKey, endpoint: proxy.url, pointsPerChunk: 10, fetch: recording, concurrency: 1, retry: { baseDelayMs: 20, maxDelayMs: 100 } });
    const dataId = await s.initialize({ streamName: "freshness first" });
    proxy.setOutage(true);
    const push = (c: number) => s.push(dataId, { chunkIndex: c, channelName: "T", timestamps: Array.from({ length: 10 }, (_, i) => T0 + c * 10 + i), values: Array.from({ length: 10 }, (_, i) => c * 10 + i) });
    for (let c = 0; c < 40; c++) await push(c);
    proxy.setOutage(false);
    s.retryNow();
    await s.flush(dataId);
    // One request at a time, newest and oldest in turn: the newest chunk goes out among the first few
    // (a retry right after the outage can shift the turn by one), not 40th behind the backlog.
    expect(order.indexOf(39), `order: ${order.join(",")}`).toBeLessThan(4);
    expect(order.indexOf(0), `order: ${order.join(",")}`).toBeLessThan(4);
    expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    await s.close();
  });
});
