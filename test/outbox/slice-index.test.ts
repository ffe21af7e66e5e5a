/** The outbox's compact index: put order, keys, chunks, holes squeezed out, and what it costs per slice. */
import { describe, expect, it } from "vitest";
import { SliceIndex } from "../../lib/outbox/slice-index.js";
import { SliceIndexView, parseKeyString } from "../../lib/outbox/slice-index-view.js";
import type { SliceMeta } from "../../lib/outbox/types.js";
import { keyString } from "../../lib/types.js";

const meta = (dataId: string, channel: string, chunkIndex: number, version = chunkIndex + 1, extra: Partial<SliceMeta> = {}): SliceMeta => ({
  dataId,
  channel,
  chunkIndex,
  version,
  points: 100,
  bytes: 1700,
  complete: true,
  createdAt: 1_764_000_000_000 + chunkIndex,
  ...extra,
});
const names = (list: Iterable<SliceMeta>) => [...list].map((m) => `${m.dataId}/${m.channel}#${m.chunkIndex}@${m.version}`);

describe("SliceIndex", () => {
  it("gives back exactly what was put, in put order both ways; a key put again moves to the newest end", () => {
    const index = new SliceIndex();
    index.append(meta("a", "T", 0));
    index.append(meta("a", "P", 0));
    index.append(meta("b", "T", 0, 7, { complete: false, points: 3, bytes: 144 }));
    index.append(meta("a", "T", 1));
    expect(index.append(meta("a", "T", 0, 9))).toMatchObject({ version: 1 }); // the replaced entry
    expect(names(index.oldestFirst())).toEqual(["a/P#0@1", "b/T#0@7", "a/T#1@2", "a/T#0@9"]);
    expect(names(index.newestFirst())).toEqual(["a/T#0@9", "a/T#1@2", "b/T#0@7", "a/P#0@1"]);
    expect(index.get({ dataId: "b", channel: "T", chunkIndex: 0 })).toEqual(meta("b", "T", 0, 7, { complete: false, points: 3, bytes: 144 }));
    expect(index.size).toBe(4);
    expect(names(index.chunk("a", 0))).toEqual(["a/P#0@1", "a/T#0@9"]);
    expect(names(index.ofStream("a"))).toEqual(["a/P#0@1", "a/T#1@2", "a/T#0@9"]);
    expect(index.highestChunkIndex("a")).toEqual(new Map([["T", 1], ["P", 0]]));
  });

  it("replace keeps the place; quarantine reasons stay with their slice through compaction", () => {
    const index = new SliceIndex();
    for (let c = 0; c < 10; c++) index.append(meta("a", "T", c));
    const info = { status: 422, code: "http_422", detail: "bad", message: "refused", at: 5 };
    expect(index.replace({ ...meta("a", "T", 5), quarantined: info })).toBe(true);
    expect(index.replace(meta("a", "X", 5))).toBe(false);
    for (let c = 0; c < 5; c++) index.delete({ dataId: "a", channel: "T", chunkIndex: c });
    for (let round = 0; round < 50; round++) for (let c = 6; c < 10; c++) index.append(meta("a", "T", c, 100 * round + c)); // many holes: compactions
    expect(index.get({ dataId: "a", channel: "T", chunkIndex: 5 })?.quarantined).toEqual(info);
    expect(names(index.oldestFirst())).toEqual(["a/T#5@6", "a/T#6@4906", "a/T#7@4907", "a/T#8@4908", "a/T#9@4909"]);
  });

  it("agrees with a plain Map model over a long random run of puts, re-puts and deletes", () => {
    const index = new SliceIndex();
    const model = new Map<string, SliceMeta>();
    let seed = 42;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
    for (let step = 0; step < 20_000; step++) {
      const key = { dataId: `d${rnd(3)}`, channel: `c${rnd(4)}`, chunkIndex: rnd(50) };
      const k = keyString(key);
      if (rnd(3) === 0) {
        expect(index.delete(key)?.version).toBe(model.get(k)?.version);
        model.delete(k);
      } else {
        const m = meta(key.dataId, key.channel, key.chunkIndex, step + 1, { complete: rnd(2) === 0 });
        index.append(m);
        model.delete(k);
        model.set(k, m);
      }
    }
    expect([...index.oldestFirst()]).toEqual([...model.values()]);
    expect([...index.newestFirst()]).toEqual([...model.values()].reverse());
    const view = new SliceIndexView(index);
    expect(view.size).toBe(model.size);
    expect([...view.keys()]).toEqual([...model.keys()]);
    for (const k of model.keys()) expect(view.get(k)).toEqual(model.get(k));
    for (const d of ["d0", "d1", "d2"]) for (let c = 0; c < 50; c += 7) {
      expect(index.chunk(d, c)).toEqual([...model.values()].filter((m) => m.dataId === d && m.chunkIndex === c));
    }
  });

  it("a scan stops rather than skip or repeat when the index is compacted under it", () => {
    const index = new SliceIndex();
    for (let c = 0; c < 200; c++) index.append(meta("a", "T", c));
    const seen: number[] = [];
    for (const m of index.oldestFirst()) {
      seen.push(m.chunkIndex);
      if (m.chunkIndex === 10) for (let c = 20; c < 200; c++) index.delete({ dataId: "a", channel: "T", chunkIndex: c }); // compacts
    }
    expect(seen).toEqual(Array.from({ length: 11 }, (_, i) => i));
  });

  it("keys with any channel text survive the round trip through keyString", () => {
    for (const key of [{ dataId: "d", channel: "__proto__", chunkIndex: 0 }, { dataId: "d-1", channel: "a:b\u00e9 c", chunkIndex: 123456789 }]) {
      expect(parseKeyString(keyString(key))).toEqual(key);
    }
    expect(parseKeyString("nonsense")).toBeUndefined();
  });

  it("holds a backlog in tens of bytes a slice, and gives the memory back when it drains", () => {
    const index = new SliceIndex();
    const n = 200_000;
    for (let c = 0; c < n; c++) index.append(meta("d290f1ee-6c54-4b01-90e6-d701748f0851", `ch${c % 8}`, Math.floor(c / 8), c + 1));
    expect(index.footprintBytes / n).toBeLessThan(100);
    for (let c = 0; c < n; c++) index.delete({ dataId: "d290f1ee-6c54-4b01-90e6-d701748f0851", channel: `ch${c % 8}`, chunkIndex: Math.floor(c / 8) });
    expect(index.size).toBe(0);
    expect(index.footprintBytes).toBeLessThan(64 * 37 + 1);
    expect(index.streams()).toEqual([]);
  });
});
