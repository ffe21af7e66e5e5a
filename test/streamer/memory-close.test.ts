/**
 * No silent loss at exit with a non-durable outbox (issue 10, failure 9): over a MemoryOutbox,
 * `writable().close()` — and so `pipeTo` — resolves only once everything is on the server, or rejects
 * with an UnsentDataError naming what is not; the data stays in memory and a later finalize sends it.
 * Over a durable outbox a deferred finalize is fine: close resolves, the data is on disk.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TimeseriesStreamer, UnsentDataError, type Reading } from "../../lib/index.js";
import { FileOutbox } from "../../lib/outbox/file.js";
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

function readings(n: number, expected: Map<string, Points>): Reading[] {
  const out: Reading[] = [];
  for (let i = 0; i < n; i++) {
    for (const [c, channel] of ["T", "P"].entries()) {
      out.push({ channel, t: T0 + i * 0.1, value: c * 1000 + i });
      expected.set(channel, [...(expected.get(channel) ?? []), [T0 + i * 0.1, c * 1000 + i]]);
    }
  }
  return out;
}

const streamOf = (batch: Reading[]) => new ReadableStream<Reading[]>({ start: (c) => { c.enqueue(batch); c.close(); } });

describe("closing a writable over a MemoryOutbox", () => {
  it("rejects with an UnsentDataError naming every unsent slice while the server is down; a later finalize sends them", async () => {
    proxy.setOutage(false);
    const s = new TimeseriesStreamer({ apiKey: emu.apiKey, endpoint: proxy.url, pointsPerChunk: 10, timeoutMs: 2000, retry: { baseDelayMs: 50, maxDelayMs: 200 } });
    const dataId = await s.initialize({ streamName: "memory close in an outage" });
    proxy.setOutage(true);
    const expected = new Map<string, Points>();
    const piped = streamOf(readings(35, expected)).pipeTo(s.writable(dataId, { maxLatencyMs: 0, finalizeTimeoutMs: 1000 }));
    const error = (await piped.then(() => undefined, (e: unknown) => e)) as UnsentDataError;
    expect(error).toBeInstanceOf(UnsentDataError);
    expect(error.code).toBe("unsent");
    expect(error.message).toMatch(/not on the server, held only in memory/);
    expect(error.unsent.map((u) => `${u.channel}#${u.chunkIndex}:${u.reason}`).sort()).toEqual(
      ["P#0", "P#1", "P#2", "P#3", "T#0", "T#1", "T#2", "T#3"].map((k) => `${k}:pending`),
    );
    expect(error.unsent.reduce((n, u) => n + (u.points ?? 0), 0)).toBe(70);
    proxy.setOutage(false);
    s.retryNow();
    expect((await s.finalize(dataId, { timeoutMs: 60_000 })).status).toBe("finalized");
    await expectExact(emu, dataId, expected);
    await s.close();
  }, 90_000);

  it("resolves once the server holds everything: the read-back right after pipeTo is exact", async () => {
    proxy.setOutage(false);
    const s = new TimeseriesStreamer({ apiKey: emu.apiKey, endpoint: proxy.url, pointsPerChunk: 10 });
    const dataId = await s.initialize({ streamName: "memory close, server up" });
    const expected = new Map<string, Points>();
    await streamOf(readings(47, expected)).pipeTo(s.writable(dataId, { maxLatencyMs: 0 }));
    await expectExact(emu, dataId, expected);
    expect(s.stats(dataId)).toMatchObject({ state: "finalized", verify: "agreed" });
    await s.close();
  }, 60_000);

  it("over a FileOutbox a deferred finalize is fine: close resolves in an outage, the next run finishes", async () => {
    proxy.setOutage(false);
    const dir = await mkdtemp(join(tmpdir(), "memory-close-file-"));
    const options = { apiKey: emu.apiKey, endpoint: proxy.url, pointsPerChunk: 10, timeoutMs: 2000, retry: { baseDelayMs: 50, maxDelayMs: 200 } };
    const s = new TimeseriesStreamer({ ...options, outbox: new FileOutbox({ dir }) });
    const dataId = await s.initialize({ streamName: "file close in an outage" });
    proxy.setOutage(true);
    const expected = new Map<string, Points>();
    await streamOf(readings(25, expected)).pipeTo(s.writable(dataId, { maxLatencyMs: 0, finalizeTimeoutMs: 500 }));
    expect(s.stats(dataId).state).toBe("closing");
    await s.close();
    proxy.setOutage(false);
    const next = new TimeseriesStreamer({ ...options, outbox: new FileOutbox({ dir }) });
    await next.ready;
    await expect.poll(() => next.stats(dataId).state, { timeout: 60_000 }).toBe("finalized");
    await expectExact(emu, dataId, expected);
    await next.close();
  }, 90_000);
});
