/** Outbox capacity while the server is down: writers wait (backpressure), or the drop policies count what they drop. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryOutbox, OutboxFullError, TimeseriesStreamer, type Reading } from "../../lib/index.js";
import { sliceBytes } from "../../lib/outbox/outbox.js";
import { emulatorOn, http, type RunningEmulator } from "../helpers/emulator.js";
import { startFaultProxy, type FaultProxy } from "../helpers/fault-proxy.js";
import { readBack } from "../helpers/readback.js";

const T0 = 1_764_000_000;
const PPC = 100;
const SLICE = sliceBytes(PPC, "T");
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

const chunkOf = (c: number): Reading[] => Array.from({ length: PPC }, (_, i) => ({ channel: "T", t: T0 + c * PPC + i, value: c * PPC + i }));

async function setup(outbox: MemoryOutbox) {
  const dataId = (await http(emu)("POST", "/metrology/stream/initialize", { points_per_chunk: PPC })).body.data_id as string;
  const streamer = new TimeseriesStreamer({ apiKey: emu.apiKey, endpoint: proxy.url, pointsPerChunk: PPC, outbox, retry: { baseDelayMs: 20, maxDelayMs: 200 } });
  return { dataId, streamer };
}

describe("outbox capacity during an outage", () => {
  it('"wait": writes stop resolving when the outbox is full, memory stays at the cap, and everything arrives after', async () => {
    const outbox = new MemoryOutbox({ capacityBytes: 10 * SLICE });
    const { dataId, streamer } = await setup(outbox);
    proxy.setOutage(true);
    const writer = streamer.writable(dataId, { maxLatencyMs: 0 }).getWriter();
    let written = 0;
    const writes: Array<Promise<void>> = [];
    let blocked = false;
    for (let c = 0; c < 40; c++) {
      const ready = await Promise.race([writer.ready.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 300))]);
      if (!ready) {
        blocked = true;
        break;
      }
      writes.push(writer.write(chunkOf(c)).then(() => void written++));
    }
    expect(blocked).toBe(true);
    expect(writer.desiredSize).toBeLessThanOrEqual(0);
    const heldWhileBlocked = written;
    expect(heldWhileBlocked).toBeGreaterThanOrEqual(10);
    expect(heldWhileBlocked).toBeLessThan(40);
    expect(outbox.usedBytes).toBeLessThanOrEqual(11 * SLICE); // the cap, plus at most the write that crossed it
    await new Promise((r) => setTimeout(r, 500));
    expect(written).toBe(heldWhileBlocked); // still waiting: nothing dropped, nothing grows

    proxy.setOutage(false);
    streamer.retryNow();
    const total = writes.length;
    for (let c = total; c < 40; c++) writes.push(writer.write(chunkOf(c)).then(() => void written++));
    await Promise.all(writes);
    await writer.close();
    expect(written).toBe(40);
    const back = await readBack(emu, dataId);
    expect(back.properties.T!.values).toEqual(Array.from({ length: 40 * PPC }, (_, i) => i));
    expect(streamer.stats(dataId)).toMatchObject({ droppedSlices: 0, state: "finalized" });
    await streamer.close();
  });

  it('"drop-oldest": the oldest pending slices go, each counted and reported; slices on their way out are kept; the rest arrives', async () => {
    const outbox = new MemoryOutbox({ capacityBytes: 10 * SLICE, overflow: "drop-oldest" });
    const { dataId, streamer } = await setup(outbox);
    const dropped: number[] = [];
    streamer.addEventListener("error", (e) => dropped.push(...(((e as CustomEvent).detail.dropped as Array<{ chunkIndex: number }>) ?? []).map((d) => d.chunkIndex)));
    proxy.setOutage(true);
    for (let c = 0; c < 25; c++) {
      await streamer.push(dataId, { chunkIndex: c, channelName: "T", timestamps: chunkOf(c).map((r) => r.t), values: chunkOf(c).map((r) => r.value) });
    }
    await expect.poll(() => proxy.counts().drop).toBeGreaterThan(0); // the uploader met the outage
    expect(outbox.usedBytes).toBeLessThanOrEqual((10 + 4) * SLICE); // the cap, plus what was on its way out
    expect(streamer.stats(dataId).droppedSlices).toBe(dropped.length);
    expect(dropped.length).toBeGreaterThanOrEqual(25 - 10 - 4); // at most `concurrency` slices were on their way out
    proxy.setOutage(false);
    streamer.retryNow();
    await streamer.finalize(dataId);
    const back = await readBack(emu, dataId);
    const delivered = [...new Set(back.properties.T!.values.map((v) => Math.floor(v / PPC)))];
    // every chunk either delivered whole or reported dropped: never both, never neither
    expect([...delivered, ...dropped].sort((a, b) => a - b)).toEqual(Array.from({ length: 25 }, (_, i) => i));
    for (const c of delivered) {
      expect(back.properties.T!.values.filter((v) => Math.floor(v / PPC) === c)).toEqual(chunkOf(c).map((r) => r.value));
    }
    // the newest are kept: the cap holds 10 slices, at most 4 of them the ones that were in flight
    expect(delivered).toEqual(expect.arrayContaining(Array.from({ length: 6 }, (_, i) => 19 + i)));
    await streamer.close();
  });

  it('"error": a write that does not fit is refused with OutboxFullError; what was accepted stays', async () => {
    const outbox = new MemoryOutbox({ capacityBytes: 3 * SLICE, overflow: "error" });
    const { dataId, streamer } = await setup(outbox);
    proxy.setOutage(true);
    const push = (c: number) => streamer.push(dataId, { chunkIndex: c, channelName: "T", timestamps: chunkOf(c).map((r) => r.t), values: chunkOf(c).map((r) => r.value) });
    for (let c = 0; c < 3; c++) await push(c);
    const error = await push(3).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutboxFullError);
    expect((error as Error).message).toMatch(/outbox is full .*Raise capacityBytes/);
    expect(outbox.slices(dataId)).toHaveLength(3);
    proxy.setOutage(false);
    streamer.retryNow();
    await streamer.flush(dataId);
    expect((await readBack(emu, dataId)).properties.T!.values).toHaveLength(3 * PPC);
    await streamer.close();
  });
});
