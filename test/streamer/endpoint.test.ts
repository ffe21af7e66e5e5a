/**
 * Pending data is never stranded by spelling (issue 10, failure 7): endpoints are compared as URLs
 * (a trailing slash is the same API), a different host or port is reported — event "foreign" and
 * `stats().foreignSlices`, with `localhost` vs `127.0.0.1` named — and `adoptPending` sends it.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TimeseriesStreamer, type TimeseriesStreamerEventMap } from "../../lib/index.js";
import { FileOutbox } from "../../lib/outbox/file.js";
import { canonicalEndpoint, sameEndpoint } from "../../lib/upload/endpoint.js";
import { emulatorOn, type RunningEmulator } from "../helpers/emulator.js";
import { startFaultProxy, type FaultProxy } from "../helpers/fault-proxy.js";
import { expectExact, T0, type Points } from "./exact.js";

let emu: RunningEmulator;
let proxy: FaultProxy;
let other: FaultProxy;
beforeAll(async () => {
  emu = await emulatorOn("pglite");
  proxy = await startFaultProxy({ target: emu.url });
  other = await startFaultProxy({ target: emu.url });
});
afterAll(async () => {
  await proxy?.close();
  await other?.close();
  await emu?.stop();
});

const options = { apiKey: "", pointsPerChunk: 5, timeoutMs: 2000, retry: { baseDelayMs: 50, maxDelayMs: 200 } };

/** A run that leaves 20 points of one stream pending in a FileOutbox (the server was down). */
async function leavePending(dir: string): Promise<{ dataId: string; expected: Map<string, Points> }> {
  proxy.setOutage(false);
  const s = new TimeseriesStreamer({ ...options, apiKey: emu.apiKey, endpoint: proxy.url, outbox: new FileOutbox({ dir }) });
  const dataId = await s.initialize({ streamName: "pending elsewhere" });
  proxy.setOutage(true);
  const points: Points = Array.from({ length: 20 }, (_, i) => [T0 + i, i / 4]);
  for (let c = 0; c < 4; c++) {
    const part = points.slice(c * 5, c * 5 + 5);
    await s.push(dataId, { chunkIndex: c, channelName: "T", timestamps: part.map((p) => p[0]), values: part.map((p) => p[1]) });
  }
  await s.close();
  proxy.setOutage(false);
  return { dataId, expected: new Map([["T", points]]) };
}

describe("endpoints compared as URLs", () => {
  it("canonical forms: scheme, host, port (default filled in), path without trailing slash", () => {
    expect(sameEndpoint("http://127.0.0.1:8765", "http://127.0.0.1:8765/")).toBe(true);
    expect(sameEndpoint("https://API.atomscale.ai", "https://api.atomscale.ai:443/")).toBe(true);
    expect(sameEndpoint("http://localhost:8765", "http://127.0.0.1:8765")).toBe(false);
    expect(sameEndpoint("http://127.0.0.1:8765", "http://127.0.0.1:8766")).toBe(false);
    expect(canonicalEndpoint("http://h:80/api//")).toBe("http://h:80/api");
  });

  it("a trailing slash is the same endpoint: the next run sends the pending slices by itself", async () => {
    const dir = await mkdtemp(join(tmpdir(), "endpoint-slash-"));
    const { dataId, expected } = await leavePending(dir);
    const s = new TimeseriesStreamer({ ...options, apiKey: emu.apiKey, endpoint: `${proxy.url}/`, outbox: new FileOutbox({ dir }) });
    const foreign: unknown[] = [];
    s.addEventListener("foreign", (e) => foreign.push(e.detail));
    expect((await s.finalize(dataId, { timeoutMs: 60_000 })).status).toBe("finalized");
    expect(foreign).toEqual([]);
    await expectExact(emu, dataId, expected);
    await s.close();
  }, 90_000);

  it("another host or port is reported, not sent and not ignored; adoptPending sends it", async () => {
    const dir = await mkdtemp(join(tmpdir(), "endpoint-other-"));
    const { dataId, expected } = await leavePending(dir);
    const port = new URL(proxy.url).port;
    const spelled = new TimeseriesStreamer({ ...options, apiKey: emu.apiKey, endpoint: `http://localhost:${port}`, outbox: new FileOutbox({ dir }) });
    const foreign: Array<TimeseriesStreamerEventMap["foreign"]> = [];
    spelled.addEventListener("foreign", (e) => foreign.push(e.detail));
    await spelled.ready;
    expect(foreign).toHaveLength(1);
    expect(foreign[0]).toMatchObject({ slices: 4, streams: [{ dataId, endpoint: proxy.url, pendingSlices: 4, phase: "open" }] });
    expect(foreign[0]!.streams[0]!.reason).toMatch(/both this machine under different names \(127\.0\.0\.1 vs localhost\)/);
    expect(spelled.stats(dataId)).toMatchObject({ foreignSlices: 4, pendingSlices: 4 });
    await spelled.close();

    const adopting = new TimeseriesStreamer({ ...options, apiKey: emu.apiKey, endpoint: other.url, outbox: new FileOutbox({ dir }), adoptPending: true });
    expect((await adopting.finalize(dataId, { timeoutMs: 60_000 })).status).toBe("finalized");
    expect(adopting.stats(dataId).foreignSlices).toBe(0);
    expect(other.log().filter((e) => e.path.includes("/stream/chunk")).length).toBeGreaterThan(0);
    await expectExact(emu, dataId, expected);
    await adopting.close();
  }, 90_000);
});
