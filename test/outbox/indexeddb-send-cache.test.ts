/**
 * IndexedDbOutbox's send cache and peers, as units (Node has BroadcastChannel; the cache is plain
 * memory): the budget evicts the oldest put, only the version asked for is served, a forgotten
 * version leaves while a newer one stays, reads mix cached and stored slices in order; outboxes of
 * one database hear each other and are then never alone. In Chromium: test/browser/indexeddb-send-path.test.ts.
 */
import { describe, expect, it } from "vitest";
import { IndexedDbPeers, PEERS_QUIET_MS } from "../../lib/outbox/indexeddb-peers.js";
import { SendCache } from "../../lib/outbox/indexeddb-send-cache.js";
import { sliceBytes } from "../../lib/outbox/sizes.js";
import type { SliceMeta, StoredSlice } from "../../lib/outbox/types.js";

const slice = (chunkIndex: number, version: number, channel = "T"): StoredSlice => ({
  dataId: "d",
  channel,
  chunkIndex,
  version,
  points: 2,
  bytes: sliceBytes(2, channel),
  complete: true,
  createdAt: 1,
  timestamps: [chunkIndex, chunkIndex + 0.5],
  values: [version, version + 1],
});
const meta = ({ timestamps: _t, values: _v, ...m }: StoredSlice): SliceMeta => m;

/** Poll (no fixed sleep) until `check()` holds, or give up after many turns. */
async function until(check: () => boolean): Promise<boolean> {
  for (let i = 0; i < 400 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  return check();
}

describe("SendCache", () => {
  it("serves only the version asked for; a forgotten version leaves, a newer one stays", () => {
    const cache = new SendCache(1 << 20);
    const v1 = slice(0, 1);
    cache.add([v1]);
    expect(cache.get(meta(v1))).toBe(v1);
    expect(cache.get({ ...meta(v1), version: 2 })).toBeUndefined();
    const v2 = slice(0, 2);
    cache.add([v2]); // put again: replaces
    expect(cache.size).toBe(1);
    cache.forget([meta(v1)]); // an ack of the old version
    expect(cache.get(meta(v2))).toBe(v2);
    cache.forget([meta(v2)]);
    expect(cache.size).toBe(0);
    expect(cache.bytes).toBe(0);
  });

  it("keeps within its budget by letting the oldest puts go; 0 keeps nothing", () => {
    const one = slice(0, 1).bytes;
    const cache = new SendCache(3 * one);
    for (let c = 0; c < 5; c++) cache.add([slice(c, 10 + c)]);
    expect(cache.size).toBe(3);
    expect(cache.bytes).toBe(3 * one);
    expect([0, 1, 2, 3, 4].map((c) => cache.get(meta(slice(c, 10 + c))) !== undefined)).toEqual([false, false, true, true, true]);
    cache.add([slice(2, 12)]); // put again: now the newest, so 3 goes first
    cache.add([slice(5, 15)]);
    expect([2, 3, 4, 5].map((c) => cache.get(meta(slice(c, 10 + c))) !== undefined)).toEqual([true, false, true, true]);
    const off = new SendCache(0);
    off.add([slice(0, 1)]);
    expect(off.size).toBe(0);
  });

  it("reads the slices it holds without the store and the others from it in one call, in the order asked", async () => {
    const cache = new SendCache(1 << 20);
    const held = [slice(0, 1, "A"), slice(0, 1, "C")];
    cache.add(held);
    const asked = [slice(0, 1, "A"), slice(0, 1, "B"), slice(0, 1, "C"), slice(0, 1, "D")].map(meta);
    const calls: string[][] = [];
    const read = await cache.readMany(asked, async (metas) => {
      calls.push(metas.map((m) => m.channel));
      return metas.map((m) => (m.channel === "B" ? { status: "fulfilled", value: slice(0, 1, "B") } : { status: "rejected", reason: new Error("unreadable") }));
    });
    expect(calls).toEqual([["B", "D"]]);
    expect(read.map((r) => (r.status === "fulfilled" ? r.value?.channel : "rejected"))).toEqual(["A", "B", "C", "rejected"]);
    const none: string[][] = [];
    await cache.readMany([asked[0]!, asked[2]!], async (metas) => (none.push(metas.map((m) => m.channel)), []));
    expect(none).toEqual([]); // all held: no storage read at all
  });
});

describe("IndexedDbPeers", () => {
  it("alone once nobody answers its greeting; two on one database hear each other and are never alone again", async () => {
    const name = `peers-${Math.random().toString(36).slice(2)}`;
    let sharedA = 0;
    const a = new IndexedDbPeers(name, () => sharedA++);
    a.start();
    expect(a.alone).toBe(false); // not before the quiet time has passed
    expect(await until(() => a.alone)).toBe(true);
    expect(PEERS_QUIET_MS).toBeGreaterThan(0);

    let sharedB = 0;
    const b = new IndexedDbPeers(name, () => sharedB++);
    b.start();
    expect(await until(() => a.shared && b.shared)).toBe(true);
    expect([a.alone, b.alone, sharedA, sharedB]).toEqual([false, false, 1, 1]);
    b.close();
    // The other one left; this one stays careful (it cannot know whether a third is about).
    expect(a.alone).toBe(false);

    const other = new IndexedDbPeers(`${name}-other`, () => {});
    other.start();
    expect(await until(() => other.alone)).toBe(true); // another database's outboxes are not heard
    expect(a.shared).toBe(true);
    a.close();
    other.close();
  });
});
