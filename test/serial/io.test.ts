/** createInstrumentIO: a read that times out loses nothing, flushInput drops what arrived, the end and errors; timedBytes. */
import { describe, expect, it } from "vitest";
import { createInstrumentIO, timedBytes, TimedBytesStream } from "../../lib/serial/io.js";
import type { TimedBytes } from "../../lib/serial/driver.js";
import { nextMacrotask } from "../../lib/serial/instruments/polled.js";
import { collect, encode } from "./split-helpers.js";

/** A source the test feeds by hand. */
function manualSource() {
  let controller!: ReadableStreamDefaultController<TimedBytes>;
  let pulls = 0;
  const readable = new ReadableStream<TimedBytes>(
    {
      start: (c) => void (controller = c),
      pull: () => void pulls++,
    },
    { highWaterMark: 0 },
  );
  return {
    readable,
    say: (text: string, t = 1) => controller.enqueue({ bytes: encode(text), t }),
    end: () => controller.close(),
    fail: (e: unknown) => controller.error(e),
    get pulls() {
      return pulls;
    },
  };
}

const noWrite = async () => {};
const text = (chunk: TimedBytes | undefined) => (chunk ? new TextDecoder().decode(chunk.bytes) : undefined);

describe("createInstrumentIO", () => {
  it("a read that times out loses nothing: the chunk that comes later goes to the next read", async () => {
    const src = manualSource();
    const io = createInstrumentIO(src.readable, noWrite);
    expect(await io.read(20)).toBeUndefined();
    src.say("late", 7);
    await nextMacrotask();
    expect(await io.read(20)).toEqual({ bytes: encode("late"), t: 7 });
    // A read waiting when data comes gets it at once.
    const waiting = io.read(5000);
    src.say("now", 8);
    expect(text(await waiting)).toBe("now");
    expect(await io.read(0)).toBeUndefined();
  });

  it("hands queued chunks out in order, each once", async () => {
    const src = manualSource();
    const io = createInstrumentIO(src.readable, noWrite);
    for (const s of ["a", "b", "c"]) src.say(s);
    const got = [await io.read(100), await io.read(100), await io.read(100), await io.read(10)].map(text);
    expect(got).toEqual(["a", "b", "c", undefined]);
  });

  it("flushInput drops what has arrived, at once, and nothing that comes after", async () => {
    const src = manualSource();
    const io = createInstrumentIO(src.readable, noWrite);
    src.say("stale 1\r\n");
    src.say("stale 2\r\n");
    await nextMacrotask();
    expect(io.bufferedBytes).toBe(18);
    expect(io.flushInput()).toBe(18);
    expect(io.bufferedBytes).toBe(0);
    expect(await io.read(10)).toBeUndefined();
    src.say("fresh");
    expect(text(await io.read(100))).toBe("fresh");
  });

  it("ended: once the source is done and everything was read; read() then gives undefined without waiting", async () => {
    const src = manualSource();
    const io = createInstrumentIO(src.readable, noWrite);
    src.say("last");
    src.end();
    await nextMacrotask();
    expect(io.ended).toBe(false); // "last" is still to be read
    expect(text(await io.read())).toBe("last");
    expect(io.ended).toBe(true);
    expect(await io.read()).toBeUndefined(); // no timeout given, yet it returns
  });

  it("a source error ends the input; read() rejects with it once the queue is empty", async () => {
    const src = manualSource();
    const io = createInstrumentIO(src.readable, noWrite);
    src.say("before");
    await nextMacrotask();
    src.fail(new Error("device lost"));
    await nextMacrotask();
    expect(text(await io.read())).toBe("before");
    expect(io.ended).toBe(true);
    await expect(io.read()).rejects.toThrow("device lost");
  });

  it("reads ahead only up to maxBufferedBytes, then leaves the source's backpressure to work", async () => {
    let produced = 0;
    const source = new ReadableStream<TimedBytes>(
      {
        pull(c) {
          produced++;
          c.enqueue({ bytes: new Uint8Array(10), t: produced });
        },
      },
      { highWaterMark: 0 },
    );
    const io = createInstrumentIO(source, noWrite, { maxBufferedBytes: 30 });
    await nextMacrotask();
    expect(io.bufferedBytes).toBe(30);
    const before = produced;
    await nextMacrotask();
    expect(produced).toBe(before); // not reading on
    await io.read();
    await nextMacrotask();
    expect(io.bufferedBytes).toBe(30);
  });

  it("write goes to the write function; cancel ends the input and cancels the source", async () => {
    const written: string[] = [];
    let cancelled: unknown;
    const source = new ReadableStream<TimedBytes>({ cancel: (r) => void (cancelled = r) });
    const io = createInstrumentIO(source, async (b) => void written.push(new TextDecoder().decode(b)));
    await io.write(encode("KRDG? A\n"));
    expect(written).toEqual(["KRDG? A\n"]);
    const pending = io.read();
    await io.cancel("bye");
    expect(await pending).toBeUndefined();
    expect(io.ended).toBe(true);
    expect(cancelled).toBe("bye");
  });
});

describe("timedBytes", () => {
  const bytes = () =>
    new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(encode("ab"));
        c.enqueue(new Uint8Array(0)); // dropped
        c.enqueue(encode("c"));
        c.close();
      },
    });

  it("stamps each chunk at receipt, as a transform or around a readable", async () => {
    let clock = 100;
    const now = () => clock++;
    const viaPipe = await collect(bytes().pipeThrough(timedBytes(now)));
    expect(viaPipe).toEqual([
      { bytes: encode("ab"), t: 100 },
      { bytes: encode("c"), t: 101 },
    ]);
    const wrapped = await collect(timedBytes(bytes(), now));
    expect(wrapped.map((c) => c.t)).toEqual([102, 103]);
    const classic = await collect(bytes().pipeThrough(new TimedBytesStream()));
    expect(classic[0]!.t).toBeGreaterThan(1.7e9); // epoch seconds
    expect(classic[0]!.t).toBeLessThan(1e11);
  });

  it("stamps ahead of a slow reader (receipt, not consumption)", async () => {
    let clock = 0;
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    const src = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
    const reader = src.pipeThrough(timedBytes(() => clock)).getReader();
    controller.enqueue(encode("x"));
    await nextMacrotask();
    clock = 50; // the reader comes late
    expect((await reader.read()).value?.t).toBe(0);
  });
});
