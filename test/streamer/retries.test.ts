/**
 * Retries that cannot go wrong (issue 10, failures 3, 5, 6): a floor under every retry delay whatever
 * `Retry-After` says (counted at the proxy); a chunk/multi request that keeps failing is split so one
 * poisonous channel does not hold back the others; a slice the storage cannot read just now is retried,
 * never taken for acknowledged, and a damaged one is listed by finalize. Each ends with a read-back.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryOutbox, TimeseriesStreamer, type CorruptSlice, type SliceKey, type SliceMeta, type StoredSlice } from "../../lib/index.js";
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

const chunkRequests = () => proxy.log().filter((e) => e.method === "POST" && e.path.includes("/stream/chunk")).length;
const series = (n: number, base: number): Points => Array.from({ length: n }, (_, i) => [T0 + i, base + i]);

async function pushAll(s: TimeseriesStreamer, dataId: string, channels: Map<string, Points>, ppc: number) {
  const n = [...channels.values()][0]!.length;
  for (let chunk = 0; chunk * ppc < n; chunk++) {
    const entries = [...channels].map(([name, p]) => {
      const part = p.slice(chunk * ppc, (chunk + 1) * ppc);
      return [name, { timestamps: part.map((x) => x[0]), values: part.map((x) => x[1]) }] as const;
    });
    await s.pushMulti(dataId, { chunkIndex: chunk, channels: new Map(entries) });
  }
}

describe("retries", () => {
  it.each([
    ["Retry-After: 0", "0"],
    ["Retry-After in the past", "Wed, 21 Oct 2015 07:28:00 GMT"],
  ])("%s: retries wait at least the backoff base (no tight loop); then every point arrives", async (_name, retryAfter) => {
    const s = new TimeseriesStreamer({ apiKey: emu.apiKey, endpoint: proxy.url, pointsPerChunk: 5, retry: { baseDelayMs: 200, maxDelayMs: 1000 } });
    const dataId = await s.initialize({ streamName: `retry floor ${retryAfter}` });
    proxy.setPolicy((req) => (req.path.includes("/stream/chunk") ? { kind: "status", status: 503, retryAfter } : { kind: "pass" }));
    const before = chunkRequests();
    const data = new Map([["T", series(40, 0)]]);
    await pushAll(s, dataId, data, 5);
    await new Promise((r) => setTimeout(r, 1500));
    const during = chunkRequests() - before;
    console.log(`${retryAfter}: ${during} chunk requests in 1.5 s against a 503`);
    // 1.5 s with a 200 ms floor and 4 in flight: at most ~4 per 200 ms. Main sent thousands.
    expect(during, "requests while the server answered 503").toBeLessThanOrEqual(40);
    expect(during).toBeGreaterThan(0);
    proxy.setPolicy(undefined);
    expect((await s.finalize(dataId, { timeoutMs: 60_000 })).status).toBe("finalized");
    await expectExact(emu, dataId, data);
    await s.close();
  }, 90_000);

  it("a chunk/multi request that keeps failing is split per channel: the good channels arrive, the bad one is reported unsent", async () => {
    const poisoned = (body: string) => {
      try {
        const b = JSON.parse(body) as { channel_name?: string; channels?: Record<string, unknown> };
        return b.channel_name === "poison" || (b.channels !== undefined && Object.hasOwn(b.channels, "poison"));
      } catch {
        return false;
      }
    };
    proxy.setPolicy((req) => (req.method === "POST" && poisoned(req.body) ? { kind: "status", status: 500 } : { kind: "pass" }));
    const s = new TimeseriesStreamer({ apiKey: emu.apiKey, endpoint: proxy.url, pointsPerChunk: 10, retry: { baseDelayMs: 20, maxDelayMs: 100 } });
    const dataId = await s.initialize({ streamName: "poison" });
    const good = new Map([["good1", series(40, 0)], ["good2", series(40, 100)]]);
    await pushAll(s, dataId, new Map([...good, ["poison", series(40, 200)]]), 10);
    const result = await s.finalize(dataId, { timeoutMs: 4000 });
    expect(result.status).toBe("deferred");
    expect(result.unsent.map((u) => `${u.channel}#${u.chunkIndex}`).sort()).toEqual(["poison#0", "poison#1", "poison#2", "poison#3"]);
    const held = await fetch(`${emu.url}/tool-state/${dataId}/timeseries/`, { headers: { "X-API-KEY": emu.apiKey } }).then((r) => r.json() as Promise<{ properties: Record<string, unknown> }>);
    expect(Object.keys(held.properties).sort()).toEqual(["good1", "good2"]);
    // Server mended: the poisoned slices go too, and the deferred finalize completes by itself.
    proxy.setPolicy(undefined);
    expect((await s.finalize(dataId, { timeoutMs: 60_000 })).status).toBe("finalized");
    await expectExact(emu, dataId, new Map([...good, ["poison", series(40, 200)]]));
    await s.close();
  }, 90_000);

  it("storage read errors: a transient one is retried (never an ack), a damaged slice is listed by finalize and close rejects", async () => {
    proxy.setPolicy(undefined);
    const failures = new Map<string, number>();
    const corrupt: CorruptSlice[] = [];
    class FlakyOutbox extends MemoryOutbox {
      override async read(key: SliceKey): Promise<StoredSlice | undefined> {
        const k = `${key.channel}#${key.chunkIndex}`;
        if (k === "B#1") {
          // damaged: set aside by the outbox, reported, never sent
          const meta = this.get(key);
          if (meta) {
            corrupt.push({ ...meta, corrupt: { reason: "checksum", message: "checksum mismatch", at: Date.now() } });
            await this.remove([meta]);
          }
          throw Object.assign(new Error("checksum mismatch"), { code: "corrupt" });
        }
        const n = failures.get(k) ?? 0;
        if (n < 2) {
          failures.set(k, n + 1);
          throw Object.assign(new Error("EMFILE: too many open files"), { code: "EMFILE", transient: true });
        }
        return super.read(key);
      }
      override corruptSlices(dataId?: string): CorruptSlice[] {
        return corrupt.filter((m) => dataId === undefined || m.dataId === dataId);
      }
    }
    const s = new TimeseriesStreamer({ apiKey: emu.apiKey, endpoint: proxy.url, pointsPerChunk: 5, outbox: new FlakyOutbox(), retry: { baseDelayMs: 20, maxDelayMs: 100 } });
    const transient: unknown[] = [];
    s.addEventListener("error", (e) => e.detail.classification === "transient" && transient.push(e.detail));
    const dataId = await s.initialize({ streamName: "unreadable storage" });
    const a = series(15, 0);
    const b = series(15, 50);
    await pushAll(s, dataId, new Map([["A", a], ["B", b]]), 5);
    const writer = s.writable(dataId, { maxLatencyMs: 0 }).getWriter();
    await writer.write({ channel: "A", t: T0 + 100, value: 999 });
    const closing = writer.close();
    await expect(closing).rejects.toMatchObject({ code: "unsent", unsent: [expect.objectContaining({ channel: "B", chunkIndex: 1, reason: "corrupt" })] });
    expect(transient.length).toBeGreaterThan(0);
    const result = await s.finalize(dataId);
    expect(result.corrupt.map((m) => `${m.channel}#${m.chunkIndex}`)).toEqual(["B#1"]);
    expect(s.stats(dataId)).toMatchObject({ corruptSlices: 1, pendingSlices: 0, state: "finalized" });
    // everything readable is there, each point once at its position; B's chunk 1 is missing (reported)
    await expectExact(emu, dataId, new Map([["A", [...a, [T0 + 100, 999]]], ["B", [...b.slice(0, 5), ...b.slice(10)]]]));
    await s.close();
  }, 90_000);
});
