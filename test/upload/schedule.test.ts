/** The uploader's choice of what to send next (lib/upload/schedule.ts), over the outbox's put order. */
import { describe, expect, it } from "vitest";
import { SliceIndex } from "../../lib/outbox/slice-index.js";
import type { SliceMeta } from "../../lib/outbox/types.js";
import { keyString } from "../../lib/types.js";
import { Schedule, type ScheduledRequest } from "../../lib/upload/schedule.js";

let version = 0;
const meta = (dataId: string, channel: string, chunkIndex: number, bytes = 1000): SliceMeta => ({
  dataId,
  channel,
  chunkIndex,
  version: ++version,
  points: 10,
  bytes,
  complete: true,
  createdAt: 1_764_000_000_000 + version,
});
const names = (r: ScheduledRequest | undefined) => r?.metas.map((m) => `${m.dataId}/${m.channel}#${m.chunkIndex}`);

/** An index with two streams' chunks put in order a0 (T, P), a1 (T, P), b0 (T), a2 (T). */
function backlog(): SliceIndex {
  const index = new SliceIndex();
  for (const m of [meta("a", "T", 0), meta("a", "P", 0), meta("a", "T", 1), meta("a", "P", 1), meta("b", "T", 0), meta("a", "T", 2)]) index.append(m);
  return index;
}

describe("Schedule", () => {
  it("alternates the newest chunk and the oldest chunk (freshness first, backfill behind), each a whole chunk group in put order", () => {
    const index = backlog();
    const schedule = new Schedule();
    const taken = new Set<string>();
    const sendable = (k: string) => !taken.has(k);
    const order: Array<string[] | undefined> = [];
    for (let i = 0; i < 5; i++) {
      const r = schedule.next(index, sendable);
      order.push(names(r));
      for (const m of r?.metas ?? []) taken.add(keyString(m));
    }
    expect(order).toEqual([["a/T#2"], ["a/T#0", "a/P#0"], ["b/T#0"], ["a/T#1", "a/P#1"], undefined]);
  });

  it("returns nothing, and keeps its turn, when nothing is sendable; skips what `sendable` refuses inside a chunk too", () => {
    const index = backlog();
    const schedule = new Schedule();
    expect(schedule.next(index, () => false)).toBeUndefined();
    // The turn did not pass: the next pick is still from the newest end.
    const notAT2 = (k: string) => k !== keyString({ dataId: "a", channel: "T", chunkIndex: 2 });
    expect(names(schedule.next(index, notAT2))).toEqual(["b/T#0"]);
    // Now the oldest end; the chunk's P slice is refused (claimed elsewhere, say): T travels alone.
    const notAP0 = (k: string) => k !== keyString({ dataId: "a", channel: "P", chunkIndex: 0 });
    expect(names(schedule.next(index, notAP0))).toEqual(["a/T#0"]);
  });

  it("a solo key travels alone, and its chunk's other slices travel without it", () => {
    const index = backlog();
    const schedule = new Schedule();
    schedule.solo.add(keyString({ dataId: "a", channel: "T", chunkIndex: 0 }));
    const all = () => true;
    expect(names(schedule.next(index, all))).toEqual(["a/T#2"]); // newest first
    expect(names(schedule.next(index, all))).toEqual(["a/T#0"]); // oldest: the solo key, alone
    const notAT0 = (k: string) => k !== keyString({ dataId: "a", channel: "T", chunkIndex: 0 });
    schedule.next(index, notAT0); // newest again
    expect(names(schedule.next(index, notAT0))).toEqual(["a/P#0"]); // the rest of chunk 0, without the solo key
  });

  it("cuts a chunk group at the byte limit (a single slice bigger than the limit still goes, alone)", () => {
    const index = new SliceIndex();
    for (const c of ["A", "B", "C", "D"]) index.append(meta("x", c, 0, 400));
    index.append(meta("y", "Z", 0, 5000));
    const schedule = new Schedule(1000);
    expect(names(schedule.next(index, (k) => !k.startsWith("y")))).toEqual(["x/A#0", "x/B#0"]);
    expect(names(schedule.next(index, (k) => k.startsWith("y")))).toEqual(["y/Z#0"]);
  });

  it("refuses a limit that is not a positive number, naming the value", () => {
    expect(() => new Schedule(0)).toThrow(/maxRequestBytes must be a positive number, got 0/);
    expect(() => new Schedule(Number.NaN)).toThrow(/got NaN/);
  });
});
