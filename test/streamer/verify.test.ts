/** The ledger (points per chunk, as runs) and the read-back comparison that verify-before-finalize uses. */
import { describe, expect, it } from "vitest";
import type { StoredSlice } from "../../lib/index.js";
import { Ledger } from "../../lib/upload/ledger.js";
import { compareReadBack } from "../../lib/upload/verify.js";

const T0 = 1_764_000_000;

function slice(channel: string, chunkIndex: number, n: number, ppc = 4): StoredSlice {
  const timestamps = Array.from({ length: n }, (_, i) => T0 + chunkIndex * ppc + i);
  return { dataId: "d", channel, chunkIndex, version: 1, points: n, bytes: 100, complete: n === ppc, createdAt: 0, timestamps, values: timestamps.map((t) => t - T0) };
}

function serverOf(slices: StoredSlice[]) {
  const properties: Record<string, { unixTimestampMs: number[]; relativeTimeSeconds: null[]; values: number[]; units: null }> = Object.create(null);
  for (const s of [...slices].sort((a, b) => a.chunkIndex - b.chunkIndex)) {
    const p = (properties[s.channel] ??= { unixTimestampMs: [], relativeTimeSeconds: [], values: [], units: null });
    p.unixTimestampMs.push(...s.timestamps.map((t) => t * 1000));
    p.values.push(...s.values);
  }
  return { properties };
}

const held = (slices: StoredSlice[]) => {
  const m = new Map<string, Map<number, StoredSlice>>();
  for (const s of slices) (m.get(s.channel) ?? m.set(s.channel, new Map()).get(s.channel)!).set(s.chunkIndex, s);
  return m;
};

describe("Ledger", () => {
  it("keeps runs: appends merge, a change inside a run splits it, a stored form round-trips", () => {
    const l = new Ledger();
    for (let c = 0; c < 100; c++) l.set("T", c, 4);
    l.set("T", 100, 2); // a partial at the end
    expect(l.toStored()).toEqual([["T", [0, 100, 4, 100, 101, 2]]]);
    l.set("T", 100, 4); // the full slice replaces it: one run again
    expect(l.toStored()).toEqual([["T", [0, 101, 4]]]);
    l.set("T", 50, 0); // quarantined: expected empty
    expect(l.points("T", 50)).toBe(0);
    expect(l.total("T")).toBe(100 * 4);
    l.set("T", 50, 4);
    l.set("__proto__", 7, 3); // any name, any index
    const back = Ledger.from(JSON.parse(JSON.stringify(l.toStored())));
    expect(back.total("T")).toBe(101 * 4);
    expect(back.points("__proto__", 7)).toBe(3);
    expect([...back.chunks("__proto__")]).toEqual([{ chunkIndex: 7, points: 3, offset: 0 }]);
  });
});

describe("compareReadBack", () => {
  const sent = [0, 1, 2, 3].map((c) => slice("T", c, 4));

  it("agrees when every point is in place", () => {
    const l = new Ledger();
    for (const s of sent) l.set("T", s.chunkIndex, s.points);
    expect(compareReadBack(l, serverOf(sent), held(sent))).toMatchObject({ ok: true, resend: [], differing: [] });
  });

  it("a late partial that overwrote a full slice: re-send from that chunk on (held), repairable", () => {
    const l = new Ledger();
    for (const s of sent) l.set("T", s.chunkIndex, s.points);
    const onServer = [sent[0]!, slice("T", 1, 2), sent[2]!, sent[3]!];
    const out = compareReadBack(l, serverOf(onServer), held(sent));
    expect(out.ok).toBe(false);
    expect(out.differing).toEqual([{ channel: "T", expectedPoints: 16, serverPoints: 14, firstChunk: 1 }]);
    expect(out.resend.map((s) => s.chunkIndex)).toEqual([1, 2, 3]);
    expect(out.unrepairable).toEqual([]);
  });

  it("a difference in a slice no longer held is reported as unrepairable", () => {
    const l = new Ledger();
    for (const s of sent) l.set("T", s.chunkIndex, s.points);
    const onServer = [sent[0]!, slice("T", 1, 2), sent[2]!, sent[3]!];
    const out = compareReadBack(l, serverOf(onServer), held([sent[3]!]));
    expect(out.unrepairable).toEqual([{ channel: "T", expectedPoints: 16, serverPoints: 14, firstChunk: 0 }]);
  });

  it("values stored in single precision still agree; a different value does not", () => {
    const l = new Ledger();
    l.set("T", 0, 4);
    const mine = { ...slice("T", 0, 4), values: [0.1, 1e-7, 300.15, -2.5] };
    const f32 = (x: number) => Math.fround(x);
    expect(compareReadBack(l, serverOf([{ ...mine, values: mine.values.map(f32) }]), held([mine])).ok).toBe(true);
    expect(compareReadBack(l, serverOf([{ ...mine, values: [0.1, 1e-7, 300.16, -2.5] }]), held([mine])).ok).toBe(false);
  });

  it("a missing channel or a null read-back differs; a channel the ledger does not know is ignored", () => {
    const l = new Ledger();
    l.set("T", 0, 4);
    expect(compareReadBack(l, null, held([sent[0]!])).differing).toEqual([{ channel: "T", expectedPoints: 4, serverPoints: 0, firstChunk: 0 }]);
    expect(compareReadBack(l, serverOf([sent[0]!, slice("other", 0, 4)]), held([sent[0]!])).ok).toBe(true);
  });
});
