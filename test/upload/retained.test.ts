/** RetainedSlices: acked slices held up to a byte limit, newest version per key, oldest evicted first. */
import { describe, expect, it } from "vitest";
import type { StoredSlice } from "../../lib/outbox/outbox.js";
import { sliceBytes } from "../../lib/outbox/outbox.js";
import { RetainedSlices } from "../../lib/upload/retained.js";

const T0 = 1_764_000_000;
let version = 0;

function slice(dataId: string, channel: string, chunkIndex: number, points: number, base = chunkIndex * 1000): StoredSlice {
  const timestamps = Array.from({ length: points }, (_, i) => T0 + base + i * 0.001);
  const values = Array.from({ length: points }, (_, i) => base + i + 0.25);
  return { dataId, channel, chunkIndex, version: ++version, points, bytes: sliceBytes(points, channel), complete: true, createdAt: 1, timestamps, values, units: "C" };
}

describe("RetainedSlices", () => {
  it("gives back exactly the points it was given, per stream, channel and chunk; a newer version replaces, an older one is ignored", () => {
    const r = new RetainedSlices(1024 * 1024);
    const a0 = slice("A", "T", 0, 100);
    const a1 = slice("A", "T", 1, 100);
    const b0 = slice("B", "__proto__", 0, 7);
    for (const s of [a0, a1, b0]) r.add(s);
    const partial = slice("A", "T", 2, 40);
    const full = slice("A", "T", 2, 100, 5);
    r.add(partial);
    r.add(full);
    r.add({ ...partial, version: partial.version - 1000 }); // a late, older version
    const a = r.of("A");
    expect([...a.get("T")!.keys()]).toEqual([0, 1, 2]);
    expect(a.get("T")!.get(0)).toEqual(a0);
    expect(a.get("T")!.get(2)).toEqual(full);
    expect(r.of("B").get("__proto__")!.get(0)).toEqual(b0);
    expect(r.bytes).toBe(a0.bytes + a1.bytes + b0.bytes + full.bytes);
    r.drop("A");
    expect(r.of("A").size).toBe(0);
    expect(r.of("B").get("__proto__")!.get(0)).toEqual(b0);
  });

  it("holds no more than its limit: the oldest acked go first, the rest exactly as given", () => {
    const limit = 64 * 100 * 16; // about 60 slices of 100 points
    const r = new RetainedSlices(limit);
    const all: StoredSlice[] = [];
    for (let c = 0; c < 300; c++) {
      const s = slice("S", c % 2 ? "a" : "b", c, 100);
      all.push(s);
      r.add(s);
      expect(r.footprintBytes).toBeLessThanOrEqual(limit);
    }
    const held = [...r.of("S").values()].flatMap((m) => [...m.values()]).sort((x, y) => x.chunkIndex - y.chunkIndex);
    // The newest are held, a contiguous run up to the last one, each exactly as given.
    expect(held.length).toBeGreaterThanOrEqual(48);
    expect(held.at(-1)!.chunkIndex).toBe(299);
    held.forEach((s, i) => {
      expect(s.chunkIndex).toBe(300 - held.length + i);
      expect(s).toEqual(all[s.chunkIndex]);
    });
  });

  it("a key acked again counts from its newest ack: the slices acked before it go first", () => {
    const limit = 64 * 100 * 16;
    const r = new RetainedSlices(limit);
    const first = slice("S", "a", 0, 100);
    r.add(first);
    for (let c = 1; c < 40; c++) r.add(slice("S", "a", c, 100));
    const again = slice("S", "a", 0, 100, 7); // chunk 0 acked again (a re-sent version): now the newest
    r.add(again);
    for (let c = 40; c < 70; c++) r.add(slice("S", "a", c, 100)); // past the limit: the oldest go
    const held = r.of("S").get("a")!;
    expect(held.get(0)).toEqual(again);
    expect(held.has(1)).toBe(false);
    expect(held.has(69)).toBe(true);
    expect(r.footprintBytes).toBeLessThanOrEqual(limit);
  });

  it("a large slice is held; one larger than the limit is not; limit 0 holds nothing", () => {
    const r = new RetainedSlices(64 * 100 * 16);
    const big = slice("L", "x", 0, 3000);
    r.add(big);
    expect(r.of("L").get("x")!.get(0)).toEqual(big);
    r.add(slice("L", "x", 1, 10_000));
    expect(r.of("L").get("x")!.has(1)).toBe(false);
    const none = new RetainedSlices(0);
    none.add(slice("L", "x", 0, 3));
    expect(none.of("L").size).toBe(0);
  });
});
