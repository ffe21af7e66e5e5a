/**
 * The outbox contract of test/outbox/contract.test.ts, run against IndexedDbOutbox in a real headless
 * Chromium (real IndexedDB; "reopen" is a new outbox on the same database). The page runs the
 * operations and returns what it saw; the assertions are the contract's.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { capacityForFreeSpace, WEEKEND_BYTES } from "../../lib/outbox/capacity.js";
import { sliceBytes } from "../../lib/outbox/sizes.js";
import { skipBrowser, withBrowserPage } from "../helpers/browser.js";
import { emulatorOn, type RunningEmulator } from "../helpers/emulator.js";

// The page needs an origin of its own for IndexedDB: the emulator's (its /healthz), as the browser suites do.
let emu: RunningEmulator;
beforeAll(async () => {
  if (!skipBrowser) emu = await emulatorOn("pglite");
});
afterAll(async () => {
  await emu?.stop();
});

const names = (list: Array<{ channel: string; chunkIndex: number }>) => list.map((m) => `${m.channel}#${m.chunkIndex}`);

describe.skipIf(skipBrowser)("outbox contract: IndexedDbOutbox in Chromium", () => {
  it("versions, supersede, ack of the version named, put order for every scan, quarantine in place — also after a reopen", async () => {
    await withBrowserPage(`${emu.url}/healthz`, async (page) => {
      const out = await page.evaluate(async () => {
        const { IndexedDbOutbox } = window.AtomscaleStream;
        const name = `contract-${Math.random().toString(36).slice(2)}`;
        const d = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
        const slice = (channel: string, chunkIndex: number, n = 10, complete = true, dataId = d) => ({
          dataId, channel, chunkIndex, complete, units: "K",
          timestamps: Array.from({ length: n }, (_, i) => 1_764_000_000 + chunkIndex * 100 + i),
          values: Array.from({ length: n }, (_, i) => chunkIndex * 1000 + i + 0.5),
        });
        const keys = (list: Array<{ channel: string; chunkIndex: number }>) => list.map((m) => ({ channel: m.channel, chunkIndex: m.chunkIndex }));
        const outbox = new IndexedDbOutbox({ name });
        const [partial] = await outbox.put([slice("T", 0, 4, false)]);
        const [full] = await outbox.put([slice("T", 0, 10)]);
        const readFull = await outbox.read(full!);
        const ackOld = await outbox.ack(partial!, partial!.version);
        await outbox.put([slice("P", 0)]);
        await outbox.put([slice("T", 1), slice("P", 1, 3, false)]);
        await outbox.put([slice("P", 0, 10)]); // put again: now the newest
        await outbox.put([slice("X", 5, 10, true, "other-stream")]);
        const [t1] = outbox.order.chunk(d, 1);
        const info = { status: 422, code: "http_422", detail: [{ msg: "bad" }], message: "refused", at: 7 };
        const quarantined = await outbox.quarantine(t1!, t1!.version, info);
        const seen = {
          versions: [partial!.version, full!.version],
          readFull: { version: readFull?.version, values: readFull?.values, units: readFull?.units },
          ackOld,
          slices: keys(outbox.slices()),
          ofStream: keys(outbox.slices(d)),
          index: keys([...outbox.order.oldestFirst()]),
          newestFirst: [...outbox.order.newestFirst()].map((m) => [`${m.dataId}/${m.channel}/${m.chunkIndex}`, m.chunkIndex]),
          chunk0: keys(outbox.order.chunk(d, 0)),
          pending: outbox.pendingCount(d),
          quarantined: quarantined?.quarantined,
        };
        const ackFull = await outbox.ackAll([{ ...full!, version: full!.version }]);
        await outbox.close();
        const again = new IndexedDbOutbox({ name });
        await again.open();
        const reopened = { slices: keys(again.slices()), quarantined: again.get(t1!)?.quarantined, pending: again.pendingCount(d), t1: (await again.read(t1!))?.values };
        const removed = keys(await again.remove(again.slices()));
        const after = { slices: again.slices().length, usedBytes: again.usedBytes };
        await again.close();
        await new Promise((r) => ((indexedDB.deleteDatabase(name).onsuccess = r), setTimeout(r, 2000)));
        return { seen, ackFull, reopened, removed, after, t1values: slice("T", 1).values, fullValues: slice("T", 0).values };
      });
      const { seen } = out;
      expect(seen.versions[1]).toBeGreaterThan(seen.versions[0]!);
      expect(seen.readFull).toEqual({ version: seen.versions[1], values: out.fullValues, units: "K" });
      expect(seen.ackOld).toBe(false);
      expect(names(seen.slices)).toEqual(["T#0", "T#1", "P#1", "P#0", "X#5"]);
      expect(names(seen.ofStream)).toEqual(["T#0", "T#1", "P#1", "P#0"]);
      expect(names(seen.index)).toEqual(["T#0", "T#1", "P#1", "P#0", "X#5"]);
      expect(seen.newestFirst).toEqual([
        ["other-stream/X/5", 5],
        ["7c9e6679-7425-40de-944b-e07fc1f90ae7/P/0", 0],
        ["7c9e6679-7425-40de-944b-e07fc1f90ae7/P/1", 1],
        ["7c9e6679-7425-40de-944b-e07fc1f90ae7/T/1", 1],
        ["7c9e6679-7425-40de-944b-e07fc1f90ae7/T/0", 0],
      ]);
      expect(names(seen.chunk0)).toEqual(["T#0", "P#0"]);
      expect(seen.pending).toBe(3); // T#1 quarantined
      expect(seen.quarantined).toMatchObject({ status: 422, detail: [{ msg: "bad" }] });
      expect(out.ackFull).toEqual([true]);
      expect(names(out.reopened.slices)).toEqual(["T#1", "P#1", "P#0", "X#5"]);
      expect(out.reopened.quarantined).toMatchObject({ status: 422, code: "http_422" });
      expect(out.reopened.pending).toBe(2);
      expect(out.reopened.t1).toEqual(out.t1values);
      expect(names(out.removed)).toEqual(["T#1", "P#1", "P#0", "X#5"]);
      expect(out.after).toEqual({ slices: 0, usedBytes: 0 });
    });
  });

  it("claims and batched reads: one Web Lock and one read transaction per request; claimed at the call, released once, never evicted by drop-oldest", async () => {
    await withBrowserPage(`${emu.url}/healthz`, async (page) => {
      const one = sliceBytes(10, "T");
      const out = await page.evaluate(async (one) => {
        const { IndexedDbOutbox } = window.AtomscaleStream;
        const name = `claims-${Math.random().toString(36).slice(2)}`;
        const slice = (channel: string, chunkIndex: number) => ({ dataId: "d", channel, chunkIndex, complete: true, timestamps: Array.from({ length: 10 }, (_, i) => 1_764_000_000 + chunkIndex * 10 + i), values: Array.from({ length: 10 }, (_, i) => chunkIndex * 100 + i) });
        // The read transactions are counted: without the send cache (IndexedDbOutbox's, for slices it put itself while alone).
        const outbox = new IndexedDbOutbox({ name, capacityBytes: 9 * one, overflow: "drop-oldest", sendCacheBytes: 0 });
        const group = await outbox.put(["A", "B", "C", "D"].map((c) => slice(c, 0)));
        const others = await outbox.put([slice("A", 1), slice("A", 2)]);
        // Count the read transactions and the Web Locks one request's claim and read cost.
        const transaction = IDBDatabase.prototype.transaction;
        const modes: string[] = [];
        IDBDatabase.prototype.transaction = function (this: IDBDatabase, ...args: Parameters<IDBDatabase["transaction"]>) {
          modes.push(args[1] ?? "readonly");
          return transaction.apply(this, args);
        } as IDBDatabase["transaction"];
        const pending = outbox.claim(group);
        const claimedAtCall = group.map((m) => outbox.isClaimed(m));
        const claim = await pending;
        const held = ((await navigator.locks.query()).held ?? []).map((l) => l.name);
        const reads = await outbox.readAll(claim.claimed);
        IDBDatabase.prototype.transaction = transaction;
        const values = reads.map((r) => (r.status === "fulfilled" ? r.value?.values[0] : "rejected"));
        // At capacity, drop-oldest passes over the claimed chunk 0 and evicts chunk 1.
        const dropped: string[] = [];
        outbox.on((e) => e.type === "drop" && dropped.push(...e.dropped.map((x) => `${x.channel}#${x.chunkIndex}`)));
        await outbox.put([slice("A", 3), slice("A", 4), slice("A", 5), slice("A", 6)]);
        claim.release();
        claim.release();
        const claimedAfter = outbox.claimedCount();
        // The browser lets a Web Lock go a task or so after its release: poll for it.
        let heldAfter = -1;
        for (let i = 0; i < 200 && heldAfter !== 0; i++) {
          heldAfter = ((await navigator.locks.query()).held ?? []).length;
          if (heldAfter !== 0) await new Promise((r) => setTimeout(r, 25));
        }
        const afterRelease = { claimed: claimedAfter, held: heldAfter };
        // A request in doubt: released here at once, but its Web Lock stays until the time given, or the close.
        const doubtful = await outbox.claim([others[1]!]);
        doubtful.release(60_000);
        const inDoubt = { claimedHere: outbox.isClaimed(others[1]!), held: ((await navigator.locks.query()).held ?? []).map((l) => l.name) };
        await new Promise((r) => setTimeout(r, 200));
        inDoubt.held.push(...((await navigator.locks.query()).held ?? []).map((l) => `later:${l.name}`));
        await outbox.close();
        let heldAfterClose = -1;
        for (let i = 0; i < 200 && heldAfterClose !== 0; i++) {
          heldAfterClose = ((await navigator.locks.query()).held ?? []).length;
          if (heldAfterClose !== 0) await new Promise((r) => setTimeout(r, 25));
        }
        await new Promise((r) => ((indexedDB.deleteDatabase(name).onsuccess = r), setTimeout(r, 2000)));
        return { claimedAtCall, claimed: claim.claimed.length, held, modes, values, dropped, afterRelease, inDoubt, heldAfterClose };
      }, one);
      expect(out.claimedAtCall).toEqual([true, true, true, true]);
      expect(out.claimed).toBe(4);
      expect(out.held).toHaveLength(1); // one lock for the request (stream d, chunk 0), not one per slice
      expect(out.held[0]).toMatch(/:d\/0$/);
      expect(out.modes).toEqual(["readonly"]); // one read transaction for the four slices
      expect(out.values).toEqual([0, 0, 0, 0]);
      expect(out.dropped).toEqual(["A#1"]);
      expect(out.afterRelease).toEqual({ claimed: 0, held: 0 });
      expect(out.inDoubt.claimedHere).toBe(false);
      expect(out.inDoubt.held).toEqual([expect.stringMatching(/:d\/2$/), expect.stringMatching(/^later:.*:d\/2$/)]);
      expect(out.heldAfterClose).toBe(0);
    });
  });

  it("capacity: a share of what the origin may still store (at least a weekend when it has room); at capacity the overflow policy applies, visibly", async () => {
    await withBrowserPage(`${emu.url}/healthz`, async (page) => {
      const one = sliceBytes(10, "T");
      const out = await page.evaluate(async (one) => {
        const { IndexedDbOutbox } = window.AtomscaleStream;
        const slice = (chunkIndex: number) => ({ dataId: "d", channel: "T", chunkIndex, complete: true, timestamps: Array.from({ length: 10 }, (_, i) => 1_764_000_000 + chunkIndex * 10 + i), values: Array.from({ length: 10 }, (_, i) => i) });
        const dbs: string[] = [];
        const make = (options: Record<string, unknown> = {}) => {
          const name = `capacity-${Math.random().toString(36).slice(2)}`;
          dbs.push(name);
          return new IndexedDbOutbox({ name, ...options });
        };
        const byDefault = make();
        await byDefault.open();
        const { usage, quota } = await navigator.storage.estimate();
        const capacity = byDefault.capacityBytes;
        await byDefault.close();

        const waiting = make({ capacityBytes: 3 * one });
        const events: string[] = [];
        waiting.on((e) => e.type !== "change" && events.push(e.type));
        const metas = await waiting.put([slice(0), slice(1), slice(2), slice(3)]);
        let waited = false;
        const wait = waiting.waitForSpace().then(() => (waited = true));
        await new Promise((r) => setTimeout(r, 50));
        const waitedBefore = waited;
        await waiting.ackAll(metas.slice(0, 2));
        await wait;
        await waiting.close();

        const dropping = make({ capacityBytes: 3 * one, overflow: "drop-oldest" });
        const dropped: number[] = [];
        dropping.on((e) => e.type === "drop" && dropped.push(...e.dropped.map((x) => x.chunkIndex)));
        for (let c = 0; c < 5; c++) await dropping.put([slice(c)]);
        const kept = dropping.slices().map((m) => m.chunkIndex);
        await dropping.close();

        const refusing = make({ capacityBytes: 3 * one, overflow: "error" });
        for (let c = 0; c < 3; c++) await refusing.put([slice(c)]);
        const refused = await refusing.put([slice(3)]).then(() => undefined, (e: { code: string }) => e.code);
        await refusing.close();
        for (const name of dbs) await new Promise((r) => ((indexedDB.deleteDatabase(name).onsuccess = r), setTimeout(r, 2000)));
        return { capacity, usage, quota, events, waitedBefore, waited, dropped, kept, refused };
      }, one);
      expect(out.capacity).toBe(capacityForFreeSpace(out.quota! - (out.usage ?? 0), "indexeddb"));
      if ((out.quota! - (out.usage ?? 0)) * 0.9 > WEEKEND_BYTES * 2) expect(out.capacity).toBeGreaterThanOrEqual(WEEKEND_BYTES);
      expect(out.events).toEqual(["full", "space"]); // "full" once, "space" when the acknowledgements freed room
      expect(out.waitedBefore).toBe(false);
      expect(out.waited).toBe(true);
      expect(out.dropped).toEqual([0, 1]);
      expect(out.kept).toEqual([2, 3, 4]);
      expect(out.refused).toBe("outbox_full");
    });
  });
});
