/**
 * `write()` resolves when its readings are durable (design §3.3), the open chunk's too: a process that
 * ends right after a write resolved (a crash, a closed tab) loses none of it. The next streamer on the
 * same FileOutbox puts the open chunks as short slices at their own chunk index, a continuation starts
 * after them, and the server holds every written reading once, in order. Read back point by point.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TimeseriesStreamer, type Reading } from "../../lib/index.js";
import { FileOutbox } from "../../lib/outbox/file.js";
import { skipDeno } from "../helpers/deno.js";
import { emulatorOn, type RunningEmulator } from "../helpers/emulator.js";
import { runFixture } from "./fixture-process.js";
import { expectExact, serverHolds, T0, type Points } from "./exact.js";

let emu: RunningEmulator;
beforeAll(async () => {
  emu = await emulatorOn("pglite");
});
afterAll(async () => {
  await emu?.stop();
});

describe("write() is durable before its chunk fills", () => {
  it("a process that ends without closing its writable loses no reading whose write resolved (FileOutbox)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "write-durable-"));
    const options = { apiKey: emu.apiKey, endpoint: emu.url, pointsPerChunk: 10, retry: { baseDelayMs: 50, maxDelayMs: 300 } };
    const expected = new Map<string, Points>([["a", []], ["b", []]]);
    let n = 0;
    const batch = (channel: string, count: number): Reading[] =>
      Array.from({ length: count }, () => {
        const t = T0 + n * 0.25;
        const value = n++;
        expected.get(channel)!.push([t, value]);
        return { channel, t, value };
      });

    const a = new TimeseriesStreamer({ ...options, outbox: new FileOutbox({ dir }) });
    const dataId = await a.initialize({ streamName: "open chunk through a crash" });
    // maxLatencyMs 0: no partial slice ever leaves; only the durability of write() can save the open chunk.
    const writer = a.writable(dataId, { maxLatencyMs: 0, finalizeOnClose: false }).getWriter();
    await writer.write(batch("a", 7));
    await writer.write(batch("b", 3));
    await writer.write(batch("a", 8)); // a#0 full (10), a#1 open (5); b#0 open (3)
    expect(a.stats(dataId).acceptedPoints).toBe(10); // accepted still counts slices; the open chunks wait in the state
    const state = a.outbox.getStream(dataId) as { openChunks?: Array<{ channel: string; chunkIndex: number; values: number[] }> };
    expect(state.openChunks?.map((s) => [s.channel, s.chunkIndex, s.values.length]).sort()).toEqual([["a", 1, 5], ["b", 0, 3]]);
    await a.flush(dataId, { signal: AbortSignal.timeout(60_000) });
    expect((await serverHolds(emu, dataId)).get("a")?.values).toHaveLength(10); // only the full slice left

    // The process ends: no close(), no abort() of the writable, no page-hide.
    await a.close();
    writer.releaseLock();

    const b = new TimeseriesStreamer({ ...options, outbox: new FileOutbox({ dir }) });
    await b.ready;
    expect(b.stats(dataId).acceptedPoints).toBe(8); // the two open chunks, put as short slices
    const w2 = b.writable(dataId, { maxLatencyMs: 0 }).getWriter();
    await w2.write(batch("a", 4)); // continues at a#2, after the recovered a#1
    await w2.write(batch("b", 12)); // b#1 full, b#2 open (2)
    await w2.close(); // seals, verifies against the ledger (recovered chunks included), finalizes
    expect(b.stats(dataId)).toMatchObject({ state: "finalized", verify: "agreed", pendingSlices: 0 });
    await expectExact(emu, dataId, expected);
    await b.close();
  }, 120_000);
});

describe("write() is durable: a killed process", () => {
  it.each(["node", "deno"] as const)("%s: SIGKILL right after the last write() resolved loses nothing; the next process finalizes", async (runtime) => {
    if (runtime === "deno" && skipDeno) return;
    const dir = await mkdtemp(join(tmpdir(), "write-kill-"));
    const res = await fetch(`${emu.url}/tool-state/stream/initialize`, { method: "POST", headers: { "X-API-KEY": emu.apiKey, "content-type": "application/json" }, body: JSON.stringify({ points_per_chunk: 50, stream_name: `killed ${runtime}` }) });
    const dataId = ((await res.json()) as { data_id: string }).data_id;
    const env = { API_KEY: emu.apiKey, ENDPOINT: emu.url, DIR: dir, POINTS: "437", DATA_ID: dataId };
    const writer = runFixture(runtime, { ...env, MODE: "write-kill" });
    const written = await writer.waitFor((l) => "written" in l);
    expect(written).toMatchObject({ written: 437, acceptedPoints: 3 * 400 }); // 37 points a channel in open chunks
    await writer.kill();

    const finish = runFixture(runtime, { ...env, MODE: "finish" });
    // Counted here: what is pending at start (full slices not yet acked) and the 3 × 37 points of the open chunks.
    expect((await finish.waitFor((l) => "recovered" in l)).recovered).toBeGreaterThanOrEqual(3 * 37);
    const done = await finish.waitFor((l) => "done" in l, 90_000);
    expect(await finish.exit).toBe(0);
    expect(done).toMatchObject({ status: "finalized", stats: { state: "finalized", pendingSlices: 0, verify: "agreed" } });
    const expected = new Map<string, Points>(["T", "P", "R"].map((ch, c) => [ch, Array.from({ length: 437 }, (_, k) => [T0 + k * 0.01, c * 10_000 + k] as [number, number])]));
    await expectExact(emu, dataId, expected);
  }, 180_000);
});
