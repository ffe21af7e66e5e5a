/** Chunker: checks fused into the copy, a bad reading undoes its whole batch, slices of plain arrays. */
import { describe, expect, it } from "vitest";
import { Chunker } from "../../lib/streams/chunker.js";
import type { Reading, Slice } from "../../lib/types.js";

const T0 = 1_764_000_000;
const show = (slices: Slice[]) => slices.map((s) => `${s.channel}#${s.chunkIndex}:${s.values.join(",")}@${s.timestamps.map((t) => t - T0).join(",")}:${s.units ?? ""}:${s.complete}`);

describe("Chunker", () => {
  it("a bad reading in a batch takes nothing of it: chunks it completed, channels it opened and units it changed are undone", () => {
    const chunker = new Chunker({ pointsPerChunk: 3 });
    chunker.add([{ channel: "a", t: T0, value: 1, units: "C" }, { channel: "a", t: T0 + 1, value: 2 }]);
    const bad: Reading[] = [
      { channel: "a", t: T0 + 2, value: 3, units: "K" }, // completes a#0 (in units K)
      { channel: "a", t: T0 + 3, value: 4 }, // a#1 starts
      { channel: "new", t: T0 + 3, value: 9 }, // a channel first seen here
      { channel: "a", t: T0 + 4, value: Number.NaN },
    ];
    expect(() => chunker.add(bad)).toThrow(/readings\[3\]\.value must be a finite number \(got NaN\)/);
    expect(chunker.bufferedPoints).toBe(2);
    expect(chunker.nextChunkIndex()).toEqual({ a: 1 });
    // The same batch, mended, goes in as if the bad one never came.
    const full = chunker.add([{ ...bad[0]! }, bad[1]!, bad[2]!, { channel: "a", t: T0 + 4, value: 5 }]);
    expect(show(full)).toEqual(["a#0:1,2,3@0,1,2:K:true"]);
    expect(show(chunker.seal())).toEqual(["a#1:4,5@3,4:K:false", "new#0:9@3::false"]);
  });

  it("channels in turn, in a changing order, and a channel undone with its batch: every reading lands in its own channel", () => {
    // The hot loop guesses each reading's channel from the one before (the order it came in last time);
    // a guess must never place a reading in another channel, nor in a buffer an undo dropped.
    const chunker = new Chunker({ pointsPerChunk: 4 });
    const expected = new Map<string, number[]>();
    const slices: Slice[] = [];
    const put = (batch: Reading[]) => {
      slices.push(...chunker.add(batch));
      for (const r of batch) expected.set(r.channel, [...(expected.get(r.channel) ?? []), r.value]);
    };
    let t = T0;
    put(["x", "y", "z"].map((channel, i) => ({ channel, t, value: i })));
    // "new" opens after "y" in a batch that fails: undone, the hint from "y" must not keep its buffer.
    expect(() => chunker.add([{ channel: "x", t: ++t, value: 10 }, { channel: "y", t, value: 11 }, { channel: "new", t, value: 12 }, { channel: "z", t, value: Number.NaN }])).toThrow(/readings\[3\]\.value/);
    put([{ channel: "x", t: ++t, value: 20 }, { channel: "y", t, value: 21 }, { channel: "new", t, value: 22 }, { channel: "z", t, value: 23 }]);
    // Orders that change from turn to turn, and names that share a prefix.
    const orders = [["z", "y", "x", "new"], ["x", "new", "y", "z"], ["new", "x", "z", "y"], ["y", "y", "x", "z"]];
    for (let k = 0; k < 12; k++) {
      t++;
      put(orders[k % orders.length]!.map((channel, i) => ({ channel: String(channel), t: t + i * 1e-3, value: 100 * k + i })));
    }
    slices.push(...chunker.seal());
    // Every value, per channel, in chunk order, exactly as it went in; chunk indexes without gaps.
    const got = new Map<string, number[]>();
    for (const c of expected.keys()) {
      const own = slices.filter((x) => x.channel === c).sort((a, b) => a.chunkIndex - b.chunkIndex);
      expect(own.map((x) => x.chunkIndex)).toEqual(own.map((_, i) => i));
      got.set(c, own.flatMap((x) => x.values));
    }
    expect(got).toEqual(expected);
    expect(slices.map((x) => x.channel).filter((c) => !expected.has(c))).toEqual([]);
  });

  it("each field is checked as the reading is copied, named as in Chunker.check", () => {
    const cases: Array<[unknown, RegExp]> = [
      [null, /readings\[1\] must be an object/],
      [{ channel: 5, t: T0, value: 1 }, /readings\[1\]\.channel must be a string/],
      [{ channel: "a\u0000b", t: T0, value: 1 }, /readings\[1\]\.channel contains a NUL/],
      [{ channel: "a", t: T0 * 1000, value: 1 }, /readings\[1\]\.t looks like milliseconds/],
      [{ channel: "a", t: Infinity, value: 1 }, /readings\[1\]\.t must be a finite number/],
      [{ channel: "a", t: T0, value: "1" }, /readings\[1\]\.value must be a finite number/],
      [{ channel: "a", t: T0, value: -Infinity }, /readings\[1\]\.value must be a finite number/],
      [{ channel: "a", t: T0, value: 1, units: 7 }, /readings\[1\]\.units must be a string/],
      [{ channel: "a", t: T0, value: 1, units: "m\u0000" }, /readings\[1\]\.units contains a NUL/],
    ];
    for (const [reading, message] of cases) {
      const chunker = new Chunker({ pointsPerChunk: 2 });
      const batch = [{ channel: "a", t: T0, value: 0 }, reading] as Reading[];
      expect(() => Chunker.check(batch)).toThrow(message);
      expect(() => chunker.add(batch)).toThrow(message);
      expect(chunker.bufferedPoints).toBe(0);
      // A single reading is named `reading`.
      expect(() => chunker.add(reading as Reading)).toThrow(new RegExp(message.source.replace("readings\\[1\\]", "reading")));
    }
  });

  it("hands over plain arrays (JSON and push work as on any array), copies for partials and open chunks", () => {
    const chunker = new Chunker({ pointsPerChunk: 4 });
    chunker.add([{ channel: "x", t: T0, value: 1 }, { channel: "x", t: T0 + 1, value: 2 }]);
    const [partial] = chunker.partials();
    const [open] = chunker.open();
    const [full] = chunker.add([{ channel: "x", t: T0 + 2, value: 3 }, { channel: "x", t: T0 + 3, value: 4 }]);
    expect(partial!.values).toEqual([1, 2]);
    expect(open!.values).toEqual([1, 2]);
    expect(full!.values).toEqual([1, 2, 3, 4]);
    for (const s of [partial!, open!, full!]) {
      expect(Array.isArray(s.values) && Array.isArray(s.timestamps)).toBe(true);
      expect(JSON.parse(JSON.stringify(s.values))).toEqual(s.values);
    }
    full!.values.push(5); // the slice's arrays are the caller's now
    chunker.add({ channel: "x", t: T0 + 4, value: 6 });
    expect(show(chunker.seal())).toEqual(["x#1:6@4::false"]);
  });

  it("chunks longer than its preallocation grow as needed", () => {
    const ppc = 5000;
    const chunker = new Chunker({ pointsPerChunk: ppc });
    const batch: Reading[] = [];
    for (let i = 0; i < ppc + 3; i++) batch.push({ channel: "q", t: T0 + i / 1000, value: i });
    const [full] = chunker.add(batch);
    expect(full!.values).toHaveLength(ppc);
    expect(full!.values[ppc - 1]).toBe(ppc - 1);
    const [rest] = chunker.seal();
    expect(rest!.values).toEqual([ppc, ppc + 1, ppc + 2]);
    expect(rest!.chunkIndex).toBe(1);
  });
});
