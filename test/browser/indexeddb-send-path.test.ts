/**
 * IndexedDbOutbox's fast send path in a real headless Chromium, against a real emulator process: the send
 * cache (slices this outbox put are sent without a read transaction while it is alone on its database),
 * deletes that gather and go as key ranges, and the faults around them — a reload mid-outage (the cache and
 * the deletes not yet written are lost), a second tab taking over the database; both end by reading the
 * server back point by point.
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { skipBrowser, withBrowserPage } from "../helpers/browser.js";
import { emulatorOn, type RunningEmulator } from "../helpers/emulator.js";
import { readBack } from "../helpers/readback.js";
import { openTab, reloadWithBundle } from "./page.js";

let emu: RunningEmulator;
beforeAll(async () => {
  if (!skipBrowser) emu = await emulatorOn("pglite");
});
afterAll(async () => {
  await emu?.stop();
});

const T0 = 1705312200;
/** Exact in binary floating point, so the read-back compares with toEqual. */
const ts = (from: number, n: number) => Array.from({ length: n }, (_, i) => T0 + (from + i) * 0.5);
const vs = (from: number, n: number, scale = 0.25) => Array.from({ length: n }, (_, i) => (from + i) * scale);

/** Count the page's IndexedDB transactions (`mode:stores`) in `window.__transactions`. */
async function countTransactions(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __transactions: string[]; __counting?: boolean };
    w.__transactions = [];
    if (w.__counting) return;
    w.__counting = true;
    const transaction = IDBDatabase.prototype.transaction;
    IDBDatabase.prototype.transaction = function (this: IDBDatabase, ...args: Parameters<IDBDatabase["transaction"]>) {
      const durability = args[1] === "readwrite" ? `/${args[2]?.durability ?? "default"}` : "";
      w.__transactions.push(`${args[1] ?? "readonly"}${durability}:${[args[0]].flat().join("+")}`);
      return transaction.apply(this, args);
    } as IDBDatabase["transaction"];
  });
}

describe.skipIf(skipBrowser)("IndexedDbOutbox's send path in Chromium", () => {
  it("alone on its database, an outbox sends what it put without a read transaction; a reload mid-outage (cache and gathered deletes lost) loses no reading and sends nothing wrong", async () => {
    const name = "send-path-reload";
    await withBrowserPage(`${emu.url}/healthz`, async (page) => {
      await countTransactions(page);
      const online = await page.evaluate(
        async ({ name, endpoint, apiKey, t, v }) => {
          const { TimeseriesStreamer, IndexedDbOutbox } = window.AtomscaleStream;
          const w = window as unknown as { __transactions: string[]; __run: unknown };
          const outbox = new IndexedDbOutbox({ name });
          const streamer = new TimeseriesStreamer({ apiKey, endpoint, pointsPerChunk: 4, outbox });
          const dataId = await streamer.initialize({ streamName: "IndexedDB send path" });
          const reads = () => w.__transactions.filter((x) => x.startsWith("readonly:") && x.includes("points")).length;
          // Until the outbox knows it is alone (nobody answered its greeting), its reads go to IndexedDB: poll for the first request without one.
          let chunk = 0;
          let readsOfLast = -1;
          for (; chunk < 40 && readsOfLast !== 0; chunk++) {
            const before = reads();
            await streamer.pushMulti(dataId, { chunkIndex: chunk, channels: { T: { timestamps: t.slice(4 * chunk, 4 * chunk + 4), values: v.slice(4 * chunk, 4 * chunk + 4) }, P: { timestamps: t.slice(4 * chunk, 4 * chunk + 4), values: v.slice(4 * chunk, 4 * chunk + 4).map((x) => x + 1000) } } });
            await streamer.flush(dataId);
            readsOfLast = reads() - before;
          }
          // Alone now: the next five requests read nothing from IndexedDB.
          const before = reads();
          for (const end = chunk + 5; chunk < end; chunk++) {
            await streamer.pushMulti(dataId, { chunkIndex: chunk, channels: { T: { timestamps: t.slice(4 * chunk, 4 * chunk + 4), values: v.slice(4 * chunk, 4 * chunk + 4) }, P: { timestamps: t.slice(4 * chunk, 4 * chunk + 4), values: v.slice(4 * chunk, 4 * chunk + 4).map((x) => x + 1000) } } });
          }
          await streamer.flush(dataId);
          const readsAlone = reads() - before;
          // What write() waits for is on disk when it resolves: every transaction that writes slices is strict.
          const writeKinds = [...new Set(w.__transactions.filter((x) => x.startsWith("readwrite")))].sort();
          w.__run = { streamer, outbox };
          return { dataId, chunks: chunk, readsAlone, writeKinds, stats: streamer.stats(dataId) };
        },
        { name, endpoint: emu.url, apiKey: emu.apiKey, t: ts(0, 200), v: vs(0, 200) },
      );
      expect(online.readsAlone).toBe(0);
      // Puts (with the deletes they carry) strict; only deletes on their own are relaxed.
      expect(online.writeKinds).toContain("readwrite/strict:slices+points+streams");
      expect(online.writeKinds.filter((k) => k.includes("streams") && !k.startsWith("readwrite/strict:"))).toEqual([]);
      expect(online.writeKinds.filter((k) => !k.includes("streams") && !k.startsWith("readwrite/relaxed:slices+points"))).toEqual([]);
      expect(online.stats).toMatchObject({ pendingSlices: 0, ackedPoints: online.chunks * 8 });

      // The outage: chunk requests fail at the network level; more chunks go into the outbox (and its cache).
      const chunkPaths = (url: URL) => /^\/(metrology|tool-state)\/stream\/chunk/.test(url.pathname);
      await page.route(chunkPaths, (route) => route.abort("internetdisconnected"));
      const during = await page.evaluate(
        async ({ dataId, from, t, v }) => {
          const { streamer } = (window as unknown as { __run: { streamer: InstanceType<typeof window.AtomscaleStream.TimeseriesStreamer> } }).__run;
          const failed = new Promise<string>((resolve) => streamer.addEventListener("error", (e) => resolve(String((e as CustomEvent<{ classification?: string }>).detail.classification)), { once: true }));
          for (let chunk = from; chunk < from + 3; chunk++) {
            await streamer.pushMulti(dataId, { chunkIndex: chunk, channels: { T: { timestamps: t.slice(4 * chunk, 4 * chunk + 4), values: v.slice(4 * chunk, 4 * chunk + 4) }, P: { timestamps: t.slice(4 * chunk, 4 * chunk + 4), values: v.slice(4 * chunk, 4 * chunk + 4).map((x) => x + 1000) } } });
          }
          return { classification: await failed, stats: streamer.stats(dataId) };
          // No close(): the reload takes the page, the cache and the deletes not yet written away.
        },
        { dataId: online.dataId, from: online.chunks, t: ts(0, 200), v: vs(0, 200) },
      );
      expect(during.classification).toBe("transient");
      expect(during.stats.pendingSlices).toBe(6);

      await page.unroute(chunkPaths);
      await reloadWithBundle(page);
      await countTransactions(page);
      const recovered = await page.evaluate(
        async ({ name, endpoint, apiKey, dataId }) => {
          const { TimeseriesStreamer, IndexedDbOutbox } = window.AtomscaleStream;
          const w = window as unknown as { __transactions: string[] };
          const outbox = new IndexedDbOutbox({ name });
          const streamer = new TimeseriesStreamer({ apiKey, endpoint, outbox });
          await streamer.flush(dataId);
          const stats = streamer.stats(dataId);
          const reads = w.__transactions.filter((x) => x.startsWith("readonly:") && x.includes("points")).length;
          await streamer.close();
          return { stats, reads };
        },
        { name, endpoint: emu.url, apiKey: emu.apiKey, dataId: online.dataId },
      );
      expect(recovered.stats).toMatchObject({ pendingSlices: 0, quarantined: 0 });
      expect(recovered.reads).toBeGreaterThan(0); // after a reload, everything comes from IndexedDB

      const total = (online.chunks + 3) * 4;
      const back = await readBack(emu, online.dataId);
      expect(Object.keys(back.properties).sort()).toEqual(["P", "T"]);
      expect(back.properties.T).toMatchObject({ values: vs(0, total), unix_timestamp_ms: ts(0, total).map((x) => x * 1000) });
      expect(back.properties.P).toMatchObject({ values: vs(0, total).map((x) => x + 1000), unix_timestamp_ms: ts(0, total).map((x) => x * 1000) });
    });
  });

  it("a second tab taking over the database: the first outbox stops serving from its cache, so the newer version the other tab put is what is sent", async () => {
    const name = "send-path-tabs";
    await withBrowserPage(`${emu.url}/healthz`, async (pageA) => {
      await countTransactions(pageA);
      const a = await pageA.evaluate(
        async ({ name, endpoint, apiKey, t, v }) => {
          const { AtomscaleClient, IndexedDbOutbox } = window.AtomscaleStream;
          const w = window as unknown as { __transactions: string[]; __a: unknown };
          const client = new AtomscaleClient({ apiKey, endpoint });
          const { dataId } = await client.initializeStream({ pointsPerChunk: 4, streamName: "IndexedDB send path, two tabs" });
          const outbox = new IndexedDbOutbox({ name });
          const stream = { dataId, pointsPerChunk: 4, endpoint: client.endpoint, streamPrefix: "/metrology" as const, nextChunkIndex: { T: 2 }, phase: "open" as const, createdAt: 1, updatedAt: 2 };
          const reads = () => w.__transactions.filter((x) => x.startsWith("readonly:") && x.includes("points")).length;
          // Poll until the outbox is alone: a slice it put is then read without a transaction.
          let readsOfLast = -1;
          for (let i = 0; i < 200 && readsOfLast !== 0; i++) {
            const [probe] = await outbox.put([{ dataId: "probe", channel: "X", chunkIndex: i, timestamps: [t[0]!], values: [i], complete: true }]);
            const before = reads();
            await outbox.read(probe!);
            readsOfLast = reads() - before;
            await outbox.remove([probe!]);
            if (readsOfLast !== 0) await new Promise((r) => setTimeout(r, 25));
          }
          const [k0] = await outbox.put([{ dataId, channel: "T", chunkIndex: 0, timestamps: t.slice(0, 4), values: v.slice(0, 4), complete: true }], [stream]);
          await outbox.put([{ dataId, channel: "T", chunkIndex: 1, timestamps: t.slice(4, 8), values: v.slice(4, 8), complete: true }]);
          const before = reads();
          const cached = await outbox.read(k0!);
          w.__a = { outbox, k0 };
          return { dataId, alone: readsOfLast === 0, cachedValues: cached?.values, cachedReads: reads() - before };
        },
        { name, endpoint: emu.url, apiKey: emu.apiKey, t: ts(0, 8), v: vs(0, 8) },
      );
      expect(a.alone).toBe(true);
      expect(a.cachedValues).toEqual(vs(0, 4));
      expect(a.cachedReads).toBe(0);

      // Tab B opens the database and puts a newer version of chunk 0 (other values at the same times).
      const pageB = await openTab(pageA);
      const newer = vs(100, 4);
      await pageB.evaluate(
        async ({ name, dataId, t, newer }) => {
          const outbox = new window.AtomscaleStream.IndexedDbOutbox({ name });
          await outbox.put([{ dataId, channel: "T", chunkIndex: 0, timestamps: t.slice(0, 4), values: newer, complete: true }]);
          await outbox.close();
        },
        { name, dataId: a.dataId, t: ts(0, 4), newer },
      );

      // Tab A has heard tab B (a BroadcastChannel message: poll for it) and reads what is stored; its uploader sends that.
      const sent = await pageA.evaluate(
        async ({ endpoint, apiKey, dataId }) => {
          const { TimeseriesStreamer } = window.AtomscaleStream;
          const { outbox, k0 } = (window as unknown as { __a: { outbox: InstanceType<typeof window.AtomscaleStream.IndexedDbOutbox>; k0: { dataId: string; channel: string; chunkIndex: number } } }).__a;
          let values: number[] | undefined;
          for (let i = 0; i < 200; i++) {
            values = (await outbox.read(k0))?.values;
            if (values?.[0] !== 0) break;
            await new Promise((r) => setTimeout(r, 25));
          }
          const streamer = new TimeseriesStreamer({ apiKey, endpoint, outbox });
          await streamer.flush(dataId);
          const stats = streamer.stats(dataId);
          await streamer.close();
          return { values, stats };
        },
        { endpoint: emu.url, apiKey: emu.apiKey, dataId: a.dataId },
      );
      expect(sent.values).toEqual(newer);
      expect(sent.stats).toMatchObject({ pendingSlices: 0, quarantined: 0 });
      await pageB.close();

      const back = await readBack(emu, a.dataId);
      expect(Object.keys(back.properties)).toEqual(["T"]);
      expect(back.properties.T).toMatchObject({ values: [...newer, ...vs(4, 4)], unix_timestamp_ms: ts(0, 8).map((x) => x * 1000) });
    });
  });

  it("deletes gather: acks resolve at once, one relaxed transaction deletes runs of chunks as key ranges, never a chunk still pending inside a range nor a newer version", async () => {
    const name = "send-path-deletes";
    await withBrowserPage(`${emu.url}/healthz`, async (page) => {
      await countTransactions(page);
      const out = await page.evaluate(
        async ({ name, t }) => {
          const { IndexedDbOutbox } = window.AtomscaleStream;
          const w = window as unknown as { __transactions: string[] };
          const writes = () => w.__transactions.filter((x) => x.startsWith("readwrite"));
          const outbox = new IndexedDbOutbox({ name });
          const slice = (channel: string, chunkIndex: number, value: number) => ({ dataId: "d", channel, chunkIndex, timestamps: [t + chunkIndex], values: [value], complete: true });
          // Chunks 0–5 of two channels; 2 of T stays pending, 4 of T gets a newer version after its ack.
          const metas = await outbox.put(["T", "P"].flatMap((c) => [0, 1, 2, 3, 4, 5].map((k) => slice(c, k, k))));
          const before = writes().length;
          const acked = await outbox.ackAll(metas.filter((m) => !(m.channel === "T" && m.chunkIndex === 2)));
          const writesAtAck = writes().length - before; // none yet: the deletes gather
          const [newer] = await outbox.put([slice("T", 4, 40)]);
          const pending = outbox.slices().map((m) => `${m.channel}#${m.chunkIndex}`);
          await outbox.close(); // writes what gathered
          const deleteWrites = writes().slice(before).filter((x) => x.startsWith("readwrite/relaxed"));
          const again = new IndexedDbOutbox({ name });
          await again.open();
          const stored = again.slices().map((m) => `${m.channel}#${m.chunkIndex}@${m.version === newer!.version ? "newer" : m.version === metas[2]!.version ? "pending" : m.version}`);
          const values = (await Promise.all(again.slices().map((m) => again.read(m)))).map((s) => s?.values[0]);
          await again.close();
          return { acked: acked.every(Boolean) && acked.length === 11, writesAtAck, pending, deleteWrites, stored, values };
        },
        { name, t: T0 },
      );
      expect(out.acked).toBe(true);
      expect(out.writesAtAck).toBe(0);
      expect(out.pending).toEqual(["T#2", "T#4"]);
      expect(out.deleteWrites).toEqual(["readwrite/relaxed:slices+points"]);
      expect(out.stored).toEqual(["T#2@pending", "T#4@newer"]);
      expect(out.values).toEqual([2, 40]);
    });
  });
});
