/**
 * Verify before finalize, end to end: a server that acknowledges a slice it never stored (a proxy answers
 * 200 for it without forwarding) is caught by the read-back; the slice is sent again; while the server
 * keeps losing it, finalize answers "unverified" with the key and the stream is NOT finalized (a
 * MemoryOutbox writable's close rejects); once the server keeps it, retryNow() verifies and finalizes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TimeseriesStreamer, UnsentDataError, type TimeseriesStreamerEventMap } from "../../lib/index.js";
import { emulatorOn, type RunningEmulator } from "../helpers/emulator.js";
import { startFaultProxy, type FaultProxy } from "../helpers/fault-proxy.js";
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

describe("verify before finalize", () => {
  it("an acknowledged slice missing on the server is re-sent; a persistent loss is reported by key and blocks finalize", async () => {
    const lies = (body: string) => {
      try {
        const b = JSON.parse(body) as { channel_name?: string; chunk_index?: number };
        return b.channel_name === "T" && b.chunk_index === 2;
      } catch {
        return false;
      }
    };
    proxy.setPolicy((req) =>
      req.method === "POST" && lies(req.body)
        ? { kind: "status", status: 200, body: JSON.stringify({ data_id: "x", channel_name: "T", chunk_index: 2, total_points: 0 }) }
        : { kind: "pass" },
    );
    const s = new TimeseriesStreamer({ apiKey: emu.apiKey, endpoint: proxy.url, pointsPerChunk: 5 });
    const verifies: Array<TimeseriesStreamerEventMap["verify"]> = [];
    s.addEventListener("verify", (e) => verifies.push(e.detail));
    const dataId = await s.initialize({ streamName: "lying server" });
    const points: Points = Array.from({ length: 20 }, (_, i) => [T0 + i, i * 2]);
    const writable = s.writable(dataId, { maxLatencyMs: 0, finalizeTimeoutMs: 30_000 });
    const writer = writable.getWriter();
    await writer.write(points.map(([t, value]) => ({ channel: "T", t, value })));
    const closed = await writer.close().then(() => undefined, (e: unknown) => e);
    expect(closed).toBeInstanceOf(UnsentDataError);
    expect((closed as UnsentDataError).unsent).toEqual([{ dataId, channel: "T", chunkIndex: 2, points: 5, reason: "unverified" }]);

    const result = await s.finalize(dataId, { timeoutMs: 5000 });
    expect(result.status).toBe("unverified");
    expect(result.unverified).toEqual([{ dataId, channel: "T", chunkIndex: 2, expectedPoints: 20, serverPoints: 15 }]);
    expect(s.stats(dataId)).toMatchObject({ state: "closing", verify: "differs", verifyRounds: 3 });
    expect(s.stats(dataId).resentSlices).toBeGreaterThanOrEqual(2);
    expect(verifies.at(-1)).toMatchObject({ gaveUp: true, agreed: false });
    expect(await pipelineStatus(emu, dataId)).not.toBe("success"); // not finalized
    await expectExact(emu, dataId, new Map([["T", [...points.slice(0, 10), ...points.slice(15)]]]));

    // The server mends: the next round re-sends what it still holds, agrees, finalizes.
    proxy.setPolicy(undefined);
    s.retryNow();
    await expect.poll(() => s.stats(dataId).state, { timeout: 30_000 }).toBe("finalized");
    expect(s.stats(dataId).verify).toBe("agreed");
    expect((await s.finalize(dataId)).status).toBe("finalized");
    await expectExact(emu, dataId, new Map([["T", points]]));
    expect(await pipelineStatus(emu, dataId)).toBe("success");
    await s.close();
  }, 90_000);
});
