/**
 * Tags at initialize (issue 12): found case-insensitively or created (`GET /tags/`, `POST /tags/`), then
 * attached (`POST /tags/data-items/`) — online at once, and for a stream started offline queued with its
 * initialize and sent once the platform is back. Each ends with a read-back of the data.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TimeseriesStreamer } from "../../lib/index.js";
import { emulatorOn, http, type RunningEmulator } from "../helpers/emulator.js";
import { startFaultProxy, type FaultProxy } from "../helpers/fault-proxy.js";
import { expectExact, T0 } from "./exact.js";

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

async function tagsOf(dataId: string): Promise<string[]> {
  const res = await http(emu)("GET", `/data_entries/?data_ids=${dataId}`);
  const tags = (res.body as Array<{ tags?: Array<{ name?: string } | string> }>)[0]?.tags ?? [];
  return tags.map((t) => (typeof t === "string" ? t : (t.name ?? ""))).sort();
}

describe("tags", () => {
  it("online: found case-insensitively or created, attached; offline: queued with the initialize", async () => {
    const s = new TimeseriesStreamer({ apiKey: emu.apiKey, endpoint: proxy.url, pointsPerChunk: 5, initializeTimeoutMs: 500, timeoutMs: 2000, retry: { baseDelayMs: 50, maxDelayMs: 200 } });
    const online = await s.initialize({ streamName: "tagged", tags: ["MBE", "GaN", " gan "] });
    expect(await tagsOf(online)).toEqual(["GaN", "MBE"]);

    proxy.setOutage(true);
    const offline = await s.initialize({ streamName: "tagged offline", tags: ["mbe", "run-42"] });
    expect(offline).toMatch(/^local-/);
    await s.push(offline, { chunkIndex: 0, channelName: "T", timestamps: [T0, T0 + 1], values: [1, 2] });
    proxy.setOutage(false);
    s.retryNow();
    expect((await s.finalize(offline, { timeoutMs: 60_000 })).status).toBe("finalized");
    const platformId = s.platformDataId(offline)!;
    expect(await tagsOf(platformId)).toEqual(["MBE", "run-42"]);
    const all = (await http(emu)("GET", "/tags/")).body as Array<{ name: string }>;
    expect(all.map((t) => t.name).sort()).toEqual(["GaN", "MBE", "run-42"]);
    await expectExact(emu, platformId, new Map([["T", [[T0, 1], [T0 + 1, 2]]]]));
    await s.close();
  }, 90_000);
});
