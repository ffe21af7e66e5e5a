/**
 * IndexedDbOutbox in a real headless Chromium: real IndexedDB, real reloads, real Web Locks between two
 * tabs, a real quota refusal (the origin's quota lowered through the DevTools protocol), and a real
 * emulator process that the recovered slices are uploaded to and read back from, point by point.
 */
import { readFile } from "node:fs/promises";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NewSlice, SliceMeta, StoredSlice, StreamState } from "../../lib/index.js";
import { ARTIFACTS_DIR, skipBrowser, withBrowserPage } from "../helpers/browser.js";
import { emulatorOn, type RunningEmulator } from "../helpers/emulator.js";
import { readBack } from "../helpers/readback.js";
import { openTab, reloadWithBundle } from "./page.js";

let emu: RunningEmulator;
beforeAll(async () => {
  emu = await emulatorOn("pglite");
});
afterAll(async () => {
  await emu?.stop();
});

const T0 = 1705312200;
/** Exact in binary floating point, so the read-back compares with toEqual. */
const ts = (from: number, n: number) => Array.from({ length: n }, (_, i) => T0 + (from + i) * 0.5);
const vs = (from: number, n: number, scale = 0.25) => Array.from({ length: n }, (_, i) => (from + i) * scale);

/** What the database holds, read with the plain IndexedDB API (not through the class under test). */
async function rawDump(page: Page, name: string) {
  return page.evaluate(async (dbName) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open(dbName);
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    try {
      const stores = [...db.objectStoreNames].sort();
      const all = (store: string) =>
        new Promise<{ keys: IDBValidKey[]; values: unknown[] }>((resolve, reject) => {
          const tx = db.transaction(store);
          const keys = tx.objectStore(store).getAllKeys();
          const values = tx.objectStore(store).getAll();
          tx.oncomplete = () => resolve({ keys: keys.result, values: values.result });
          tx.onerror = () => reject(tx.error);
        });
      const slices = stores.includes("slices") ? await all("slices") : undefined;
      const points = stores.includes("points") ? await all("points") : undefined;
      const streams = stores.includes("streams") ? await all("streams") : undefined;
      const sliceIndexes = stores.includes("slices") ? [...db.transaction("slices").objectStore("slices").indexNames] : [];
      return { version: db.version, stores, sliceIndexes, slices, points, streams };
    } finally {
      db.close();
    }
  }, name);
}

describe.skipIf(skipBrowser)("IndexedDbOutbox in Chromium", () => {
  it("put / read / supersede / ack / quarantine / remove, and the index survives a reload", async () => {
    const name = "outbox-roundtrip";
    await withBrowserPage(`${emu.url}/healthz`, async (page) => {
      const slices: NewSlice[] = [
        { dataId: "s1", channel: "temperature", chunkIndex: 0, timestamps: ts(0, 3), values: vs(0, 3), units: "C", complete: true },
        { dataId: "s1", channel: "temperature", chunkIndex: 1, timestamps: ts(3, 2), values: vs(3, 2), units: "C", complete: false },
        { dataId: "s1", channel: "pressure", chunkIndex: 0, timestamps: ts(0, 3), values: vs(0, 3, 1e-6), units: "mbar", complete: true },
        { dataId: "s1", channel: "rate", chunkIndex: 0, timestamps: ts(0, 1), values: [7], complete: true },
      ];
      const fuller: NewSlice = { ...slices[1]!, timestamps: ts(3, 3), values: vs(3, 3), complete: true };
      const stream: StreamState = {
        dataId: "s1", pointsPerChunk: 3, endpoint: emu.url, streamPrefix: "/metrology",
        nextChunkIndex: { temperature: 2, pressure: 1, rate: 1 }, phase: "open", createdAt: 1, updatedAt: 2,
      };

      const before = await page.evaluate(
        async ({ name, slices, fuller, stream }) => {
          const { IndexedDbOutbox } = window.AtomscaleStream;
          const outbox = new IndexedDbOutbox({ name });
          const [m0, m1, mp, mr] = await outbox.put(slices, [stream]);
          const read0 = await outbox.read(m0!);
          const [m1b] = await outbox.put([fuller]); // supersedes chunk 1's partial slice
          const read1 = await outbox.read(m1!);
          const ackOld = await outbox.ack(m1!, m1!.version); // the old version was "sent": the new one stays
          const afterAckOld = outbox.get(m1!);
          const ack0 = await outbox.ack(m0!, m0!.version);
          const quarantined = await outbox.quarantine(mp!, mp!.version, { status: 422, code: "invalid", detail: "no", message: "refused", at: 5 });
          const removed = await outbox.remove([mr!]);
          const result = {
            kind: outbox.kind, durable: outbox.durable,
            versions: [m0!.version, m1!.version, mp!.version, mr!.version, m1b!.version],
            read0, read1, ackOld, afterAckOld, ack0, quarantined, removed: removed.map((m) => m.channel),
            index: outbox.slices(),
          };
          await outbox.close();
          return result;
        },
        { name, slices, fuller, stream },
      );

      expect(before.kind).toBe("indexeddb");
      expect(before.durable).toBe(true);
      const [v0, v1, vp, vr, v1b] = before.versions as [number, number, number, number, number];
      expect(new Set(before.versions).size).toBe(5);
      expect(v1b).toBeGreaterThan(Math.max(v0, v1, vp, vr));
      expect(before.read0).toMatchObject({ dataId: "s1", channel: "temperature", chunkIndex: 0, version: v0, points: 3, timestamps: ts(0, 3), values: vs(0, 3), units: "C", complete: true });
      expect(before.read1).toMatchObject({ chunkIndex: 1, version: v1b, points: 3, timestamps: ts(3, 3), values: vs(3, 3), complete: true });
      expect(before.ackOld).toBe(false);
      expect(before.afterAckOld?.version).toBe(v1b);
      expect(before.ack0).toBe(true);
      expect(before.quarantined?.quarantined).toMatchObject({ status: 422, code: "invalid", detail: "no" });
      expect(before.removed).toEqual(["rate"]);
      expect(before.index.map((m) => `${m.channel}#${m.chunkIndex}@${m.version}`)).toEqual([`pressure#0@${vp}`, `temperature#1@${v1b}`]);

      // The stored layout: metadata without points in `slices`, points apart, nothing left of acked/removed keys.
      const raw = await rawDump(page, name);
      expect(raw.version).toBe(3);
      expect(raw.stores).toEqual(["corrupt", "points", "slices", "streams"]);
      expect(raw.sliceIndexes).toEqual(["by-dataId"]);
      expect(raw.slices!.keys).toEqual([["s1", "pressure", 0], ["s1", "temperature", 1]]);
      for (const m of raw.slices!.values) expect(Object.keys(m as object)).not.toContain("values");
      expect(raw.points!.keys).toEqual([["s1", "pressure", 0], ["s1", "temperature", 1]]);
      expect(raw.points!.values).toEqual([
        { version: vp, timestamps: ts(0, 3), values: vs(0, 3, 1e-6), units: "mbar" },
        { version: v1b, timestamps: ts(3, 3), values: vs(3, 3), units: "C" },
      ]);

      await reloadWithBundle(page);
      const after = await page.evaluate(async (name) => {
        const { IndexedDbOutbox } = window.AtomscaleStream;
        const outbox = new IndexedDbOutbox({ name });
        await outbox.open();
        const index = outbox.slices();
        const reads = await Promise.all(index.map((m) => outbox.read(m)));
        const result = { index, reads, streams: outbox.streams(), usedBytes: outbox.usedBytes };
        // A new put after the reload continues above the versions already stored.
        const [next] = await outbox.put([{ dataId: "s1", channel: "temperature", chunkIndex: 2, timestamps: [1705312210], values: [9], complete: false }]);
        await outbox.remove(index.filter((m) => m.quarantined)); // the user discards the quarantined slice
        await outbox.close();
        const again = new IndexedDbOutbox({ name });
        await again.open();
        return { ...result, next, remaining: again.slices().map((m) => `${m.channel}#${m.chunkIndex}@${m.version}`) };
      }, name);

      expect(after.index.map((m) => `${m.channel}#${m.chunkIndex}@${m.version}`)).toEqual([`pressure#0@${vp}`, `temperature#1@${v1b}`]);
      expect(after.index[0]!.quarantined).toMatchObject({ status: 422, code: "invalid", message: "refused" });
      expect(after.reads[1]).toMatchObject({ version: v1b, timestamps: ts(3, 3), values: vs(3, 3), units: "C", complete: true });
      expect(after.reads[0]).toMatchObject({ version: vp, values: vs(0, 3, 1e-6), units: "mbar" });
      expect(after.streams).toEqual([stream]);
      expect(after.usedBytes).toBe(before.index.reduce((n, m) => n + m.bytes, 0));
      expect(after.next!.version).toBeGreaterThan(v1b);
      expect(after.remaining).toEqual([`temperature#1@${v1b}`, `temperature#2@${after.next!.version}`]);
    });
  });

  it("a streamer's slices survive an outage and a reload; a new streamer on the same database uploads them by itself", async () => {
    const name = "outbox-recovery";
    await withBrowserPage(
      `${emu.url}/healthz`,
      async (page) => {
        // The outage: every chunk request fails at the network level (initialize still gets through).
        const chunkPaths = (url: URL) => /^\/(metrology|tool-state)\/stream\/chunk/.test(url.pathname); // the streamer creates streams on /tool-state now
        let refused = 0;
        await page.route(chunkPaths, (route) => {
          refused++;
          return route.abort("internetdisconnected");
        });

        const during = await page.evaluate(
          async ({ name, endpoint, apiKey, t, v }) => {
            const { TimeseriesStreamer, IndexedDbOutbox } = window.AtomscaleStream;
            const streamer = new TimeseriesStreamer({ apiKey, endpoint, pointsPerChunk: 4, outbox: new IndexedDbOutbox({ name }) });
            const dataId = await streamer.initialize({ streamName: "IndexedDB outbox recovery" });
            const failed = new Promise<string>((resolve) =>
              streamer.addEventListener("error", (e) => resolve((e as CustomEvent<{ classification: string }>).detail.classification), { once: true }),
            );
            for (let c = 0; c < 3; c++) {
              await streamer.push(dataId, { chunkIndex: c, channelName: "temperature", timestamps: t.slice(4 * c, 4 * c + 4), values: v.slice(4 * c, 4 * c + 4), units: "C" });
            }
            await streamer.pushMulti(dataId, {
              chunkIndex: 3,
              channels: {
                temperature: { timestamps: t.slice(12, 14), values: v.slice(12, 14), units: "C" }, // a partial chunk
                pressure: { timestamps: t.slice(0, 4), values: v.slice(0, 4).map((x) => x * 1e-6), units: "mbar" },
              },
            });
            const classification = await failed;
            return { dataId, classification, stats: streamer.stats(dataId) };
            // No close(): the reload takes the page, the streamer and its connection away.
          },
          { name, endpoint: emu.url, apiKey: emu.apiKey, t: ts(0, 14), v: vs(0, 14) },
        );
        expect(during.classification).toBe("transient");
        expect(refused).toBeGreaterThan(0);
        expect(during.stats).toMatchObject({ acceptedPoints: 18, ackedPoints: 0, pendingSlices: 5 });
        expect((await readBack(emu, during.dataId)).properties).toEqual({});

        await page.unroute(chunkPaths);
        await reloadWithBundle(page);

        const recovered = await page.evaluate(
          async ({ name, endpoint, apiKey, dataId }) => {
            const { TimeseriesStreamer, IndexedDbOutbox } = window.AtomscaleStream;
            const streamer = new TimeseriesStreamer({ apiKey, endpoint, outbox: new IndexedDbOutbox({ name }) });
            await streamer.flush(dataId);
            const stats = streamer.stats(dataId);
            document.body.innerHTML = "";
            const pre = document.createElement("pre");
            pre.style.cssText = "font: 14px monospace; padding: 12px; border-top: 2px solid #0a7";
            pre.textContent = `IndexedDbOutbox "${name}" after a reload: stream ${dataId}\n\n${JSON.stringify({ stats, storage: streamer.outbox.storageInfo() }, null, 2)}`;
            document.body.append(pre);
            await streamer.close();
            return stats;
          },
          { name, endpoint: emu.url, apiKey: emu.apiKey, dataId: during.dataId },
        );
        expect(recovered).toMatchObject({ pendingSlices: 0, quarantined: 0, state: "open" });
        expect(refused).toBeGreaterThan(0);

        const back = await readBack(emu, during.dataId);
        expect(Object.keys(back.properties).sort()).toEqual(["pressure", "temperature"]);
        expect(back.properties.temperature).toMatchObject({ values: vs(0, 14), unix_timestamp_ms: ts(0, 14).map((x) => x * 1000), units: "C" });
        expect(back.properties.pressure).toMatchObject({ values: vs(0, 4).map((x) => x * 1e-6), unix_timestamp_ms: ts(0, 4).map((x) => x * 1000), units: "mbar" });
        expect((await rawDump(page, name)).points!.keys).toEqual([]);
      },
      { screenshot: "indexeddb-outbox-recovery" },
    );
    const png = await readFile(`${ARTIFACTS_DIR}/indexeddb-outbox-recovery.png`);
    expect(png.length).toBeGreaterThan(1000);
  });

  it("upgrades a version-1 database without losing a slice, then uploads what it held", async () => {
    const name = "outbox-upgrade";
    await withBrowserPage(`${emu.url}/healthz`, async (page) => {
      const out = await page.evaluate(
        async ({ name, endpoint, apiKey, t, v }) => {
          const { AtomscaleClient, IndexedDbOutbox, TimeseriesStreamer, createVersion1OutboxDatabase, sliceBytes, INDEXEDDB_SCHEMA_VERSION } = window.AtomscaleStream;
          const client = new AtomscaleClient({ apiKey, endpoint });
          const { dataId } = await client.initializeStream({ pointsPerChunk: 5, streamName: "written by version 1" });
          const slice = (channel: string, chunkIndex: number, version: number, from: number, n: number, units?: string): StoredSlice => ({
            dataId, channel, chunkIndex, version, points: n, bytes: sliceBytes(n, channel), complete: n === 5, createdAt: 1000 + version,
            timestamps: t.slice(from, from + n), values: v.slice(from, from + n), ...(units ? { units } : {}),
          });
          const v1Slices = [
            slice("temperature", 0, 3, 0, 5, "C"),
            slice("temperature", 1, 4, 5, 5, "C"),
            slice("temperature", 2, 6, 10, 2, "C"),
            slice("rate", 0, 5, 0, 3),
            { ...slice("bad", 0, 7, 0, 2), quarantined: { status: 422, code: "invalid", detail: "kept aside", message: "refused", at: 9 } },
          ];
          const stream: StreamState = {
            dataId, pointsPerChunk: 5, endpoint: client.endpoint, streamPrefix: "/metrology",
            nextChunkIndex: { temperature: 3, rate: 1, bad: 1 }, phase: "open", createdAt: 1, updatedAt: 2,
          };
          await createVersion1OutboxDatabase(name, { slices: v1Slices, streams: [stream] });
          const versionBefore = (await indexedDB.databases()).find((d) => d.name === name)?.version;

          const outbox = new IndexedDbOutbox({ name });
          await outbox.open();
          const index = outbox.slices();
          const reads = await Promise.all(index.map((m) => outbox.read(m)));
          const streams = outbox.streams();
          const versionAfter = (await indexedDB.databases()).find((d) => d.name === name)?.version;

          const streamer = new TimeseriesStreamer({ apiKey, endpoint, outbox });
          await streamer.flush(dataId);
          const stats = streamer.stats(dataId);
          const left = outbox.slices().map((m) => m.channel);
          await streamer.close();
          return { dataId, v1Slices, stream, versionBefore, versionAfter, schema: INDEXEDDB_SCHEMA_VERSION, index, reads, streams, stats, left };
        },
        { name, endpoint: emu.url, apiKey: emu.apiKey, t: ts(0, 12), v: vs(0, 12) },
      );

      expect(out.versionBefore).toBe(1);
      expect(out.versionAfter).toBe(3);
      expect(out.schema).toBe(3);
      // Every slice and its points, the quarantine reason, the stream state: all carried over.
      const byKey = (s: { channel: string; chunkIndex: number }) => `${s.channel}#${s.chunkIndex}`;
      expect(out.index.map(byKey)).toEqual(["temperature#0", "temperature#1", "rate#0", "temperature#2", "bad#0"]); // version order
      for (const original of out.v1Slices) {
        const read = out.reads.find((r) => r && byKey(r) === byKey(original));
        expect(read, byKey(original)).toEqual(original);
        const meta = out.index.find((m) => byKey(m) === byKey(original))!;
        const { timestamps: _t, values: _v, units: _u, ...expectedMeta } = original as StoredSlice;
        expect(meta).toEqual(expectedMeta);
      }
      expect(out.streams).toEqual([out.stream]);
      expect(out.stats).toMatchObject({ pendingSlices: 0, quarantined: 1 });
      expect(out.left).toEqual(["bad"]);

      const back = await readBack(emu, out.dataId);
      expect(Object.keys(back.properties).sort()).toEqual(["rate", "temperature"]);
      expect(back.properties.temperature).toMatchObject({ values: vs(0, 12), unix_timestamp_ms: ts(0, 12).map((x) => x * 1000), units: "C" });
      expect(back.properties.rate).toMatchObject({ values: vs(0, 3), unix_timestamp_ms: ts(0, 3).map((x) => x * 1000) });

      const raw = await rawDump(page, name);
      expect(raw.sliceIndexes).toEqual(["by-dataId"]);
      expect(raw.slices!.keys).toEqual([[out.dataId, "bad", 0]]);
      expect(Object.keys(raw.slices!.values[0] as object)).not.toContain("timestamps");
      expect(raw.points!.values).toEqual([{ version: 7, timestamps: ts(0, 2), values: vs(0, 2) }]);
    });
  });

  it("storage errors are errors: a failed read is transient and retried; a slice without its points is set aside as corrupt, kept and listed by key; the neighbours upload", async () => {
    const name = "outbox-damage";
    await withBrowserPage(`${emu.url}/healthz`, async (page) => {
      const out = await page.evaluate(
        async ({ name, endpoint, apiKey, t, v }) => {
          const { AtomscaleClient, IndexedDbOutbox, TimeseriesStreamer } = window.AtomscaleStream;
          const client = new AtomscaleClient({ apiKey, endpoint });
          const { dataId } = await client.initializeStream({ pointsPerChunk: 5, streamName: "damaged in IndexedDB" });
          // The damage below is done behind the outbox's back: every read must go to IndexedDB (no send cache).
          const outbox = new IndexedDbOutbox({ name, sendCacheBytes: 0 });
          const stream = { dataId, pointsPerChunk: 5, endpoint: client.endpoint, streamPrefix: "/metrology" as const, nextChunkIndex: { T: 3, P: 3 }, phase: "open" as const, createdAt: 1, updatedAt: 2 };
          const slices = ["T", "P"].flatMap((channel) => [0, 1, 2].map((c) => ({ dataId, channel, chunkIndex: c, timestamps: t.slice(c * 5, c * 5 + 5), values: v.slice(c * 5, c * 5 + 5), complete: true })));
          await outbox.put(slices, [stream]);
          const events: unknown[] = [];
          outbox.on((e) => e.type === "corrupt" && events.push(e));

          // A busy database: the next reads fail as a transaction would when the browser aborts it.
          const get = IDBObjectStore.prototype.get;
          let failures = 2;
          IDBObjectStore.prototype.get = function (this: IDBObjectStore, ...args: Parameters<typeof get>) {
            if (failures-- > 0) throw new DOMException("The transaction has finished.", "TransactionInactiveError");
            return get.apply(this, args);
          };
          const transient = await outbox.read({ dataId, channel: "T", chunkIndex: 0 }).then(() => undefined, (e: { name: string; code: string; transient: boolean; key: unknown }) => ({ name: e.name, code: e.code, transient: e.transient, key: e.key }));
          IDBObjectStore.prototype.get = get;
          const pendingAfterTransient = outbox.pendingCount(dataId);
          const readAgain = (await outbox.read({ dataId, channel: "T", chunkIndex: 0 }))?.values;

          // Damage: T#1's points are gone from the database, its metadata still says pending.
          await new Promise<void>((resolve, reject) => {
            const req = indexedDB.open(name);
            req.onsuccess = () => {
              const tx = req.result.transaction("points", "readwrite");
              tx.objectStore("points").delete([dataId, "T", 1]);
              tx.oncomplete = () => (req.result.close(), resolve());
              tx.onerror = () => reject(tx.error);
            };
            req.onerror = () => reject(req.error);
          });
          const streamer = new TimeseriesStreamer({ apiKey, endpoint, outbox, retry: { baseDelayMs: 20, maxDelayMs: 100 } });
          await streamer.flush(dataId);
          const corrupt = outbox.corruptSlices(dataId).map(({ channel, chunkIndex, points, corrupt }) => ({ channel, chunkIndex, points, reason: corrupt.reason, keptAt: corrupt.keptAt }));
          const pending = outbox.pendingCount(dataId);
          await streamer.close();
          const reopened = new IndexedDbOutbox({ name });
          await reopened.open();
          const afterReload = reopened.corruptSlices().map((c) => `${c.channel}#${c.chunkIndex}:${c.corrupt.reason}`);
          await reopened.close();
          return { dataId, transient, pendingAfterTransient, readAgain, corrupt, events: events.length, pending, afterReload };
        },
        { name, endpoint: emu.url, apiKey: emu.apiKey, t: ts(0, 15), v: vs(0, 15) },
      );
      expect(out.transient).toEqual({ name: "OutboxReadError", code: "outbox_read_failed", transient: true, key: { dataId: out.dataId, channel: "T", chunkIndex: 0 } });
      expect(out.pendingAfterTransient).toBe(6);
      expect(out.readAgain).toEqual(vs(0, 5));
      expect(out.corrupt).toEqual([{ channel: "T", chunkIndex: 1, points: 5, reason: "invalid", keptAt: `IndexedDB "${name}", store "corrupt"` }]);
      expect(out.events).toBe(1);
      expect(out.pending).toBe(0);
      expect(out.afterReload).toEqual(["T#1:invalid"]);
      const raw = await rawDump(page, name);
      expect(raw.slices!.keys).toEqual([]); // nothing pending; the damaged one lives in "corrupt"
      const back = await readBack(emu, out.dataId);
      expect(back.properties.P?.values).toEqual(vs(0, 15));
      expect(back.properties.T?.values).toEqual([...vs(0, 5), ...vs(10, 5)]); // T#1 never sent, never acknowledged
    });
  });

  it("stream states are kept whole (fields it does not know survive a reload), and finalized ones are pruned after pruneFinalizedAfterMs", async () => {
    const name = "outbox-states";
    await withBrowserPage(`${emu.url}/healthz`, async (page) => {
      const base = { pointsPerChunk: 5, endpoint: emu.url, streamPrefix: "/metrology" as const, nextChunkIndex: { T: 2 }, createdAt: 1 };
      const open = { ...base, dataId: "open-1", phase: "open" as const, updatedAt: 2, queuedInitialize: { streamName: "x" }, platformDataId: "p-1" };
      const done = { ...base, dataId: "done-1", phase: "finalized" as const, updatedAt: Date.now() - 3_600_000 };
      await page.evaluate(async ({ name, open, done }) => {
        const outbox = new window.AtomscaleStream.IndexedDbOutbox({ name });
        await outbox.putStream(open as never);
        await outbox.putStream(done as never);
        await outbox.close();
      }, { name, open, done });
      await reloadWithBundle(page);
      const kept = await page.evaluate(async (name) => {
        const outbox = new window.AtomscaleStream.IndexedDbOutbox({ name });
        await outbox.open();
        const streams = outbox.streams();
        await outbox.close();
        const pruning = new window.AtomscaleStream.IndexedDbOutbox({ name, pruneFinalizedAfterMs: 60_000 });
        await pruning.open();
        const after = pruning.streams().map((s) => s.dataId);
        await pruning.close();
        return { streams, after };
      }, name);
      expect(kept.streams.sort((a, b) => a.dataId.localeCompare(b.dataId))).toEqual([done, open]); // default: 7 days
      expect(kept.after).toEqual(["open-1"]);
      expect((await rawDump(page, name)).streams!.keys).toEqual(["open-1"]);
    });
  });

  it("a write over the browser's quota rejects with OutboxQuotaError and keeps what was stored before", async () => {
    const name = "outbox-quota";
    await withBrowserPage(`${emu.url}/healthz`, async (page) => {
      const small = (chunkIndex: number): NewSlice => ({ dataId: "q", channel: "temperature", chunkIndex, timestamps: ts(chunkIndex * 10, 10), values: vs(chunkIndex * 10, 10), units: "C", complete: true });
      // Lower this origin's quota to 1 MB, well below what the big write needs (about 3 MB of points) and well
      // above the small ones. Chromium's IndexedDB reads the quota when the origin first uses IndexedDB in this
      // page, so the override goes first (set later, it had no effect on this Chromium).
      const cdp = await page.context().newCDPSession(page);
      await cdp.send("Storage.overrideQuotaForOrigin", { origin: new URL(emu.url).origin, quotaSize: 1_000_000 });

      const stored = await page.evaluate(async ({ name, slices }) => {
        const outbox = new window.AtomscaleStream.IndexedDbOutbox({ name });
        const metas = await outbox.put(slices);
        await outbox.close();
        return metas;
      }, { name, slices: [small(0), small(1), small(2)] });

      const out = await page.evaluate(
        async ({ name, big, later }) => {
          const { IndexedDbOutbox, OutboxQuotaError } = window.AtomscaleStream;
          const outbox = new IndexedDbOutbox({ name });
          await outbox.open();
          let error: { isQuotaError: boolean; name: string; code: unknown; message: string; causeName: unknown; refused: unknown; pendingSlices: unknown } | undefined;
          try {
            await outbox.put([{ ...big, timestamps: Array.from({ length: 200_000 }, (_, i) => 1705312200 + i), values: Array.from({ length: 200_000 }, (_, i) => i * 0.5) }]);
          } catch (e) {
            const err = e as InstanceType<typeof OutboxQuotaError>;
            error = {
              isQuotaError: e instanceof OutboxQuotaError, name: err.name, code: err.code, message: err.message,
              causeName: (err.cause as { name?: string } | undefined)?.name, refused: err.refused, pendingSlices: err.pendingSlices,
            };
          }
          const index = outbox.slices();
          const reads = await Promise.all(index.map((m) => outbox.read(m)));
          const [afterwards] = await outbox.put([later]); // a small write still fits
          await outbox.close();
          const fresh = new IndexedDbOutbox({ name });
          await fresh.open();
          return { error, index, reads, afterwards, reloaded: fresh.slices() };
        },
        { name, big: small(3), later: small(4) },
      );

      expect(out.error).toBeDefined();
      expect(out.error).toMatchObject({ isQuotaError: true, name: "OutboxQuotaError", code: "outbox_quota", causeName: "QuotaExceededError", pendingSlices: 3 });
      expect(out.error!.refused).toEqual([{ dataId: "q", channel: "temperature", chunkIndex: 3 }]);
      expect(out.error!.message).toMatch(/browser's storage for this site is full/);
      expect(out.error!.message).toMatch(/1 slice\(s\) \(200000 points\) of stream\(s\) q could not be stored/);
      expect(out.error!.message).toMatch(/3 slice\(s\) already pending .* are kept/);
      expect(out.index).toEqual(stored);
      expect(out.reads.map((r) => r?.values)).toEqual([vs(0, 10), vs(10, 10), vs(20, 10)]);
      const keys = (list: SliceMeta[]) => list.map((m) => `${m.chunkIndex}@${m.version}`);
      expect(keys(out.reloaded)).toEqual([...keys(stored), `4@${out.afterwards!.version}`]);
    });
  });

  it("two tabs on one database: Web Locks (one per request: a stream's chunk index) give each key to one sender at a time; a newer version from the other tab is never deleted", async () => {
    const name = "outbox-tabs";
    await withBrowserPage(`${emu.url}/healthz`, async (pageA) => {
      const slices: NewSlice[] = [0, 1, 2].map((chunkIndex) => ({ dataId: "L", channel: "pressure", chunkIndex, timestamps: ts(chunkIndex * 2, 2), values: vs(chunkIndex * 2, 2), complete: true }));
      // Tab A puts three slices and claims the first two for sending.
      const a = await pageA.evaluateHandle(async ({ name, slices }) => {
        const outbox = new window.AtomscaleStream.IndexedDbOutbox({ name });
        const metas = await outbox.put(slices);
        const claim = await outbox.claim(metas.slice(0, 2));
        return { outbox, metas, claim };
      }, { name, slices });
      const heldInA = await a.evaluate(async (h) => ({
        locked: h.claim.claimed.map((m) => m.chunkIndex),
        names: ((await navigator.locks.query()).held ?? []).map((l) => l.name).sort(),
      }));
      expect(heldInA.locked).toEqual([0, 1]);
      expect(heldInA.names).toEqual([0, 1].map((i) => `atomscale-stream:${name}:L/${i}`));

      const pageB = await openTab(pageA);
      const b = await pageB.evaluateHandle(async (name) => {
        const outbox = new window.AtomscaleStream.IndexedDbOutbox({ name });
        await outbox.open();
        return { outbox };
      }, name);
      const tryClaim = () =>
        b.evaluate(async ({ outbox }) => {
          const claim = await outbox.claim(outbox.slices());
          claim.release();
          return claim.claimed.map((m) => m.chunkIndex);
        });
      expect(await tryClaim()).toEqual([2]); // A holds 0 and 1
      // Only keys A holds: nothing, at once (the uploader sets such keys aside for a while); once A lets go, all.
      const claimHeld = () =>
        b.evaluate(async ({ outbox }) => {
          const claim = await outbox.claim(outbox.slices().slice(0, 2));
          claim.release();
          return claim.claimed.map((m) => m.chunkIndex);
        });
      expect(await claimHeld()).toEqual([]);
      await a.evaluate((h) => h.claim.release());
      expect(await tryClaim()).toEqual([0, 1, 2]);

      // Tab B writes a newer version of chunk 0; tab A sends and acks its own older version.
      const newer = await b.evaluate(async ({ outbox }, slice) => (await outbox.put([slice]))[0]!, { ...slices[0]!, values: [100, 200] });
      const inA = await a.evaluate(async ({ outbox, metas }) => {
        const read = await outbox.read(metas[0]!);
        const acked = await outbox.ack(metas[0]!, metas[0]!.version);
        const adopted = outbox.get(metas[0]!)?.version;
        const fresh = new window.AtomscaleStream.IndexedDbOutbox({ name: outbox.name });
        await fresh.open();
        const stored = await fresh.read({ dataId: "L", channel: "pressure", chunkIndex: 0 });
        return { oldVersion: metas[0]!.version, readValues: read?.values, readVersion: read?.version, acked, adopted, stored };
      });
      expect(newer.version).toBeGreaterThan(inA.oldVersion);
      expect(inA.readValues).toEqual([100, 200]); // what is stored, not the version A put …
      expect(inA.readVersion).toBe(newer.version); // … with its own version,
      expect(inA.adopted).toBe(newer.version); // which A's index now holds as pending,
      expect(inA.acked).toBe(false); // so an ack of A's older version deletes nothing …
      expect(inA.stored).toMatchObject({ version: newer.version, values: [100, 200] }); // … and the store keeps B's
      await pageB.close();
    });
  });

  it("storageInfo() reports the origin's usage and quota after open", async () => {
    await withBrowserPage(`${emu.url}/healthz`, (page) =>
      page.evaluate(async () => {
        const outbox = new window.AtomscaleStream.IndexedDbOutbox({ name: "outbox-storage-info" });
        const before = outbox.storageInfo();
        await outbox.open();
        // `persisted` arrives when the browser answers persist(), which open() does not wait for.
        for (let i = 0; i < 50 && outbox.storageInfo()?.persisted === undefined; i++) await new Promise((r) => setTimeout(r, 20));
        return { before, info: outbox.storageInfo() };
      }).then(({ before, info }) => {
        expect(before).toEqual({});
        expect(info?.usage).toEqual(expect.any(Number));
        expect(info!.usage).toBeGreaterThanOrEqual(0);
        expect(info?.quota).toEqual(expect.any(Number));
        expect(info!.quota).toBeGreaterThan(0);
        expect(info?.persisted).toEqual(expect.any(Boolean));
      }),
    );
  });

  it("refuses to run without IndexedDB, naming the class", async () => {
    await withBrowserPage(`${emu.url}/healthz`, (page) =>
      page.evaluate(() => {
        const saved = Object.getOwnPropertyDescriptor(globalThis, "indexedDB")!;
        Object.defineProperty(globalThis, "indexedDB", { value: undefined, configurable: true });
        try {
          new window.AtomscaleStream.IndexedDbOutbox();
          return "constructed";
        } catch (e) {
          return (e as Error).message;
        } finally {
          Object.defineProperty(globalThis, "indexedDB", saved);
        }
      }).then((message) => expect(message).toMatch(/^IndexedDbOutbox needs IndexedDB/)),
    );
  });
});
