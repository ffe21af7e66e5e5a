/** ChunkStream: per-channel chunks, grouping, partial slices, the rest on close, clear refusals. */
import { describe, expect, it } from "vitest";
import { ChunkStream } from "../../lib/streams/chunk-stream.js";
import { Chunker } from "../../lib/streams/chunker.js";
import type { Reading, Slice } from "../../lib/types.js";

const T0 = 1_764_000_000;

async function collect(input: Array<Reading | Reading[]>, options: ConstructorParameters<typeof ChunkStream>[0]) {
  const out: Slice[][] = [];
  const source = new ReadableStream<Reading | Reading[]>({
    start(c) {
      for (const x of input) c.enqueue(x);
      c.close();
    },
  });
  await source.pipeThrough(new ChunkStream(options)).pipeTo(new WritableStream({ write: (s) => void out.push(s) }));
  return out;
}

describe("ChunkStream", () => {
  it("cuts each channel into pointsPerChunk slices with its own counter, groups channels that fill together, emits the rest on close", async () => {
    const batch: Reading[] = [];
    for (let i = 0; i < 7; i++) {
      batch.push({ channel: "T", t: T0 + i, value: 600 + i, units: "C" });
      batch.push({ channel: "P", t: T0 + i, value: i * 1e-7, units: "mbar" });
    }
    batch.push({ channel: "rate", t: T0 + 8, value: 0.5 });
    const out = await collect([batch], { pointsPerChunk: 3, maxLatencyMs: 0 });
    // one write: both channels' full chunks come out together in one array
    expect(out[0]!.map((s) => `${s.channel}#${s.chunkIndex}:${s.values.length}:${s.complete}`)).toEqual([
      "T#0:3:true", "P#0:3:true", "T#1:3:true", "P#1:3:true",
    ]);
    expect(out[0]![0]!.timestamps).toEqual([T0, T0 + 1, T0 + 2]);
    expect(out[0]![0]!.units).toBe("C");
    // close: the open chunks, short, at their next index
    expect(out[1]!.map((s) => `${s.channel}#${s.chunkIndex}:${s.values.join(",")}:${s.complete}`)).toEqual([
      "T#2:606:false", "P#2:6e-7:false", "rate#0:0.5:false",
    ]);
  });

  it("takes single readings and batches alike, and starts channels where asked", async () => {
    const out = await collect(
      [{ channel: "a", t: T0, value: 1 }, [{ channel: "a", t: T0 + 1, value: 2 }, { channel: "b", t: T0 + 1, value: 3 }]],
      { pointsPerChunk: 2, maxLatencyMs: 0, startChunkIndex: { a: 5 } },
    );
    expect(out.flat().map((s) => `${s.channel}#${s.chunkIndex}`)).toEqual(["a#5", "b#0"]);
  });

  it("sends a partial slice after maxLatencyMs, then the full slice under the same index", async () => {
    const chunker = new ChunkStream({ pointsPerChunk: 4, maxLatencyMs: 50 });
    const writer = chunker.writable.getWriter();
    const reader = chunker.readable.getReader();
    // Read as a consumer would: a read pending while writing (a TransformStream's readable has no buffer).
    const nextPartial = reader.read();
    await writer.write({ channel: "x", t: T0, value: 1 });
    await writer.write({ channel: "x", t: T0 + 1, value: 2 });
    const partial = await nextPartial;
    expect(partial.value!.map((s) => [s.chunkIndex, s.values, s.complete])).toEqual([[0, [1, 2], false]]);
    const nextFull = reader.read();
    await writer.write([{ channel: "x", t: T0 + 2, value: 3 }, { channel: "x", t: T0 + 3, value: 4 }]);
    const full = await nextFull;
    expect(full.value!.map((s) => [s.chunkIndex, s.values, s.complete])).toEqual([[0, [1, 2, 3, 4], true]]);
    const end = reader.read();
    await writer.close();
    expect((await end).done).toBe(true);
  });

  it("refuses bad readings with the field and the value named", async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ channel: "", t: T0, value: 1 }, /reading\.channel must be 1–255 characters long, not 0/],
      [{ channel: "x".repeat(256), t: T0, value: 1 }, /reading\.channel must be 1–255 characters/],
      [{ channel: "a", t: T0 * 1000, value: 1 }, /reading\.t looks like milliseconds.*got 1764000000000/],
      [{ channel: "a", t: T0, value: Number.NaN }, /reading\.value must be a finite number \(got NaN\)/],
      [{ channel: "a", t: "now", value: 1 }, /reading\.t must be a finite number.*got "now"/],
      [[{ channel: "a", t: T0, value: 1 }, { channel: "a", t: T0, value: Infinity }], /readings\[1\]\.value must be a finite number \(got Infinity\)/],
    ];
    for (const [reading, message] of cases) {
      expect(() => Chunker.check(reading as Reading)).toThrow(message);
      await expect(collect([reading as Reading], { pointsPerChunk: 2 })).rejects.toThrow(message);
    }
  });
});
