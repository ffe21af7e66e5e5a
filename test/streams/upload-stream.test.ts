/**
 * UploadStream on ChunkStream's transformer: the same chunking as ChunkStream (one core), write()
 * resolving only once its put is durable (the open chunks with it), the latency timer's partial puts,
 * seal(), and a bad reading sealing what came before. The target here records the puts the streamer
 * would make durable (streamer tests run the real outbox and server: test/streamer/write-durable.test.ts).
 */
import { describe, expect, it } from "vitest";
import { ChunkStream } from "../../lib/streams/chunk-stream.js";
import { UploadStream, type UploadTarget } from "../../lib/streams/upload-stream.js";
import type { Reading, Slice } from "../../lib/types.js";

const T0 = 1_764_000_000;

interface Put {
  slices: Slice[];
  next: Record<string, number>;
  open: Slice[] | undefined;
  done: () => void;
  fail: (e: unknown) => void;
}

/** A target whose puts resolve when the test says so (or at once with `auto`). */
function recordingTarget(options: { auto?: boolean; pointsPerChunk?: number } = {}) {
  const puts: Put[] = [];
  const reported: unknown[] = [];
  const target: UploadTarget = {
    dataId: "d",
    pointsPerChunk: options.pointsPerChunk ?? 3,
    startChunkIndex: {},
    waitForSpace: () => Promise.resolve(),
    accept: (slices, next, open) =>
      new Promise<void>((resolve, reject) => {
        puts.push({ slices, next, open, done: resolve, fail: reject });
        if (options.auto) resolve();
      }),
    report: (e) => reported.push(e),
    finalize: () => Promise.resolve(),
  };
  return { target, puts, reported };
}

async function until(check: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 30_000;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The readings as a stream (ReadableStream.from is not in every lib's typings). */
const from = <T,>(items: T[]) =>
  new ReadableStream<T>({
    start(c) {
      for (const x of items) c.enqueue(x);
      c.close();
    },
  });

const key = (s: Slice) => `${s.channel}#${s.chunkIndex}:${s.values.join(",")}:${s.complete}`;

describe("UploadStream", () => {
  it("chunks exactly as ChunkStream does (one core): the same slices, in the same order, the rest on close", async () => {
    const input: Array<Reading | Reading[]> = [];
    for (let i = 0; i < 11; i++) input.push([{ channel: "T", t: T0 + i, value: i }, ...(i % 2 ? [{ channel: "P", t: T0 + i, value: -i }] : [])]);
    const viaChunkStream: Slice[] = [];
    await from(input)
      .pipeThrough(new ChunkStream({ pointsPerChunk: 3, maxLatencyMs: 0 }))
      .pipeTo(new WritableStream({ write: (s) => void viaChunkStream.push(...s) }));
    const { target, puts } = recordingTarget({ auto: true });
    await from(input).pipeTo(new UploadStream(target, { maxLatencyMs: 0 }));
    expect(puts.flatMap((p) => p.slices).map(key)).toEqual(viaChunkStream.map(key));
    expect(viaChunkStream.map(key)).toContain("T#3:9,10:false");
  });

  it("write() resolves only once its put is durable, and the put carries the open chunks and next indices", async () => {
    const { target, puts } = recordingTarget();
    const writer = new UploadStream(target, { maxLatencyMs: 0 }).getWriter();
    let resolved = false;
    const write = writer.write([{ channel: "a", t: T0, value: 1 }, { channel: "a", t: T0 + 1, value: 2 }]).then(() => (resolved = true));
    await until(() => puts.length === 1, "the put");
    expect(puts[0]!.slices).toEqual([]); // nothing completed a slice …
    expect(puts[0]!.open!.map(key)).toEqual(["a#0:1,2:false"]); // … the readings are in the open chunk
    expect(puts[0]!.next).toEqual({ a: 1 });
    await new Promise((r) => setTimeout(r, 20));
    expect(resolved).toBe(false);
    puts[0]!.done();
    await write;
    expect(resolved).toBe(true);
    const second = writer.write({ channel: "a", t: T0 + 2, value: 3 });
    await until(() => puts.length === 2, "the second put");
    expect(puts[1]!.slices.map(key)).toEqual(["a#0:1,2,3:true"]);
    expect(puts[1]!.open).toEqual([]);
    puts[1]!.fail(new Error("disk full"));
    await expect(second).rejects.toThrow("disk full");
  });

  it("the latency timer puts partial slices with the open chunks; a failed timer put is reported", async () => {
    const { target, puts, reported } = recordingTarget({ auto: true });
    const stream = new UploadStream(target, { maxLatencyMs: 30 });
    const writer = stream.getWriter();
    await writer.write({ channel: "a", t: T0, value: 1 });
    await until(() => puts.length === 2, "the timer's put");
    expect(puts[1]!.slices.map(key)).toEqual(["a#0:1:false"]);
    expect(puts[1]!.open!.map(key)).toEqual(["a#0:1:false"]);
    // Nothing new since: the timer stays quiet.
    await new Promise((r) => setTimeout(r, 80));
    expect(puts).toHaveLength(2);

    const failing = recordingTarget();
    const w2 = new UploadStream(failing.target, { maxLatencyMs: 30 }).getWriter();
    const first = w2.write({ channel: "b", t: T0, value: 1 });
    await until(() => failing.puts.length === 1, "the write's put");
    failing.puts[0]!.done();
    await first;
    await until(() => failing.puts.length === 2, "the timer's put");
    failing.puts[1]!.fail(new Error("the streamer is closed"));
    await until(() => failing.reported.length === 1, "the report");
    expect(String(failing.reported[0])).toContain("the streamer is closed");
    expect(reported).toEqual([]);
    await writer.close();
  });

  it("seal(): the open chunks go out as short slices, sealed is true, later writes reject and the timer stops", async () => {
    const { target, puts } = recordingTarget({ auto: true });
    const stream = new UploadStream(target, { maxLatencyMs: 50 });
    const writer = stream.getWriter();
    await writer.write([{ channel: "a", t: T0, value: 1 }, { channel: "b", t: T0, value: 2 }]);
    expect(stream.sealed).toBe(false);
    await stream.seal();
    expect(stream.sealed).toBe(true);
    expect(puts.at(-1)!.slices.map(key)).toEqual(["a#0:1:false", "b#0:2:false"]);
    expect(puts.at(-1)!.next).toEqual({ a: 1, b: 1 });
    await stream.seal(); // idempotent
    const count = puts.length;
    await expect(writer.write({ channel: "a", t: T0 + 1, value: 3 })).rejects.toThrow(/takes no more readings/);
    await new Promise((r) => setTimeout(r, 120));
    expect(puts).toHaveLength(count);
  });

  it("seal() called again while its put is under way (a close and a finalize) waits for that put", async () => {
    const { target, puts } = recordingTarget();
    const stream = new UploadStream(target, { maxLatencyMs: 0 });
    const writer = stream.getWriter();
    const write = writer.write({ channel: "a", t: T0, value: 1 });
    await until(() => puts.length === 1, "the write's put");
    puts[0]!.done();
    await write;
    let firstDone = false;
    let secondDone = false;
    const first = stream.seal().then(() => (firstDone = true));
    const second = stream.seal().then(() => (secondDone = true));
    await until(() => puts.length === 2, "the sealing put");
    expect(puts).toHaveLength(2); // one put for both calls
    await new Promise((r) => setTimeout(r, 20));
    expect([firstDone, secondDone]).toEqual([false, false]);
    puts[1]!.done();
    await Promise.all([first, second]);
    expect([firstDone, secondDone]).toEqual([true, true]);
  });

  it("a bad reading seals what came before into the target, then rejects naming the field", async () => {
    const { target, puts } = recordingTarget({ auto: true });
    const stream = new UploadStream(target, { maxLatencyMs: 0 });
    const writer = stream.getWriter();
    await writer.write({ channel: "a", t: T0, value: 1 });
    await expect(writer.write({ channel: "a", t: T0 + 1, value: Number.NaN })).rejects.toThrow(/value/);
    expect(stream.sealed).toBe(true);
    expect(puts.at(-1)!.slices.map(key)).toEqual(["a#0:1:false"]);
  });
});
