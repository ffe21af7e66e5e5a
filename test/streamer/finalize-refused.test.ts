/**
 * The server refuses a finalize (422): `finalize()` rejects with a FinalizeRefusedError — a class with a
 * stable code, the server's status and detail, the recorded refusal as its cause — and the data it holds
 * is all there (read back point by point).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FinalizeRefusedError, TimeseriesStreamer } from "../../lib/index.js";
import { emulatorOn, type RunningEmulator } from "../helpers/emulator.js";
import { startFaultProxy, type FaultProxy } from "../helpers/fault-proxy.js";
import { expectExact, T0, type Points } from "./exact.js";

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

describe("a refused finalize", () => {
  it("rejects with FinalizeRefusedError (code, status, detail, cause); the data is on the server", async () => {
    const detail = "stream is locked by an administrator";
    proxy.setPolicy((req) => (req.method === "POST" && req.path.endsWith("/finalize") ? { kind: "status", status: 422, body: JSON.stringify({ detail }) } : { kind: "pass" }));
    const s = new TimeseriesStreamer({ apiKey: emu.apiKey, endpoint: proxy.url, pointsPerChunk: 10, retry: { baseDelayMs: 20, maxDelayMs: 100 } });
    try {
      const dataId = await s.initialize({ streamName: "finalize refused" });
      const points: Points = Array.from({ length: 25 }, (_, i) => [T0 + i * 0.1, i]);
      for (let c = 0; c < 3; c++) {
        const part = points.slice(c * 10, c * 10 + 10);
        await s.push(dataId, { chunkIndex: c, channelName: "x", timestamps: part.map((p) => p[0]), values: part.map((p) => p[1]) });
      }
      const error = await s.finalize(dataId, { timeoutMs: 60_000 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FinalizeRefusedError);
      expect(error).toMatchObject({ name: "FinalizeRefusedError", code: "finalize_refused", dataId, status: 422, detail, cause: expect.objectContaining({ status: 422, detail }) });
      expect((error as Error).message).toContain(`refused to finalize stream ${dataId}`);
      await expectExact(emu, dataId, new Map([["x", points]]));
    } finally {
      proxy.setPolicy(undefined);
      await s.close();
    }
  }, 120_000);
});
