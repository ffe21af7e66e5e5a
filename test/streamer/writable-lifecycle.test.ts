/**
 * One writable per stream at a time, kept by the streamer without callbacks (the writable's `sealed`):
 * a second writable is refused while the first takes readings; after an abort or a refused reading a new
 * one continues at the next chunk index; finalize() seals a writable still open (its open chunk goes to
 * the server) and writes after it reject. Read back point by point.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InvalidInputError, TimeseriesStreamer } from "../../lib/index.js";
import { emulatorOn, type RunningEmulator } from "../helpers/emulator.js";
import { expectExact, T0, type Points } from "./exact.js";

let emu: RunningEmulator;
beforeAll(async () => {
  emu = await emulatorOn("pglite");
}, 120_000);
afterAll(async () => {
  await emu?.stop();
});

const readings = (p: Points) => p.map(([t, value]) => ({ channel: "x", t, value }));

describe("writable lifecycle", () => {
  it("one at a time; abort and a refused reading free the stream; a new writable continues; finalize seals an open one", async () => {
    const s = new TimeseriesStreamer({ apiKey: emu.apiKey, endpoint: emu.url, pointsPerChunk: 4, logger: () => {} });
    try {
      const dataId = await s.initialize({ streamName: "writable lifecycle" });
      const points: Points = Array.from({ length: 11 }, (_, i) => [T0 + i * 0.5, i * 10]);

      const first = s.writable(dataId, { maxLatencyMs: 0 });
      expect(() => s.writable(dataId)).toThrow(InvalidInputError);
      const w1 = first.getWriter();
      await w1.write(readings(points.slice(0, 3))); // chunk 0 open with 3 points
      await w1.abort(new Error("stopped by the test"));
      expect(first.sealed).toBe(true); // abort sealed chunk 0 (3 points, short) into the outbox

      const second = s.writable(dataId, { maxLatencyMs: 0 }); // freed by the abort: continues at chunk 1
      const w2 = second.getWriter();
      await w2.write(readings(points.slice(3, 6))); // chunk 1 open with 3 points
      await expect(w2.write({ channel: "x", t: Number.NaN, value: 1 })).rejects.toThrow(InvalidInputError);
      expect(second.sealed).toBe(true); // the refused reading sealed chunk 1 first

      const third = s.writable(dataId, { maxLatencyMs: 0 }); // continues at chunk 2
      const w3 = third.getWriter();
      await w3.write(readings(points.slice(6, 11))); // chunk 2 full (4 points), chunk 3 open with 1
      const result = await s.finalize(dataId, { timeoutMs: 60_000 }); // seals the open chunk 3 first
      expect(result.status).toBe("finalized");
      expect(third.sealed).toBe(true);
      await expect(w3.write({ channel: "x", t: T0 + 100, value: 1 })).rejects.toThrow();

      // Positions: chunk c starts at c × 4; the short chunks leave gaps the server does not fill.
      const stats = s.stats(dataId);
      expect(stats).toMatchObject({ acceptedPoints: 11, ackedPoints: 11, pendingSlices: 0, state: "finalized" });
      await expectExact(emu, dataId, new Map([["x", points]]));
    } finally {
      await s.close();
    }
  }, 120_000);
});
