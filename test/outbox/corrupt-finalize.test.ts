/**
 * The streamer's side of a corrupt slice (issue 10, failure 3): `finalize()` lists it by key and does
 * not claim a clean finish; `stats()` counts it; the server holds every other point.
 *
 * The streamer's fields: `FinalizeResult.corrupt` (the keys) and `stats(dataId).corruptSlices` (a count).
 */
import { createHash } from "node:crypto";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TimeseriesStreamer } from "../../lib/index.js";
import { FileOutbox } from "../../lib/fs.js";
import { keyString } from "../../lib/types.js";
import { emulatorOn, http, type RunningEmulator } from "../helpers/emulator.js";
import { startFaultProxy, type FaultProxy } from "../helpers/fault-proxy.js";
import { readBack } from "../helpers/readback.js";

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

describe("a corrupt slice at finalize", () => {
  it("finalize lists the corrupt slice by key and does not claim a clean finish; stats count it; every other point is on the server", async () => {
    const dataId = (await http(emu)("POST", "/metrology/stream/initialize", { points_per_chunk: 10 })).body.data_id as string;
    const dir = await mkdtemp(join(tmpdir(), "corrupt-finalize-"));
    const outbox = new FileOutbox({ dir });
    const streamer = new TimeseriesStreamer({ apiKey: emu.apiKey, endpoint: proxy.url, pointsPerChunk: 10, outbox, retry: { baseDelayMs: 20, maxDelayMs: 200 } });
    proxy.setOutage(true);
    for (let c = 0; c < 3; c++) {
      const idx = Array.from({ length: 10 }, (_, k) => c * 10 + k);
      await streamer.push(dataId, { chunkIndex: c, channelName: "T", timestamps: idx.map((i) => 1_764_000_000 + i), values: idx });
    }
    const key = { dataId, channel: "T", chunkIndex: 1 };
    const path = join(dir, "slices", `${createHash("sha256").update(keyString(key)).digest("hex").slice(0, 40)}.json`);
    await writeFile(path, (await readFile(path, "utf8")).replace('"values":[10', '"values":[11'));
    proxy.setOutage(false);
    streamer.retryNow();

    const result = await streamer.finalize(dataId, { timeoutMs: 60_000 });
    expect(outbox.corruptSlices(dataId)).toEqual([expect.objectContaining({ ...key, corrupt: expect.objectContaining({ reason: "checksum" }) })]);
    const back = await readBack(emu, dataId);
    expect(back.properties.T?.values).toEqual([...Array.from({ length: 10 }, (_, i) => i), ...Array.from({ length: 10 }, (_, i) => 20 + i)]);
    // The streamer's side (core-u):
    expect(result.corrupt).toEqual([expect.objectContaining({ channel: "T", chunkIndex: 1 })]);
    expect(streamer.stats(dataId).corruptSlices).toBe(1);
    await streamer.close();
  }, 120_000);
});
