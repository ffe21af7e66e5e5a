/**
 * Framing on bytes: the same byte stream cut at every offset (and into three pieces at a sample of
 * offset pairs, always including cuts inside CR LF and inside multibyte characters) gives the same
 * frames, each stamped with the chunk that brought its terminator.
 */
import { describe, expect, it } from "vitest";
import { DelimiterSplitter, LineFramer, LineSplitter, type LineSplitterOptions } from "../../lib/serial/framing.js";
import type { DriverProblem } from "../../lib/serial/driver.js";
import { collect, cut, encode, offsetsOf, splits, stampOf, timedSource } from "./split-helpers.js";

/** Split `text` every way; for each split, the lines (with stamps) must be `expected(offsets)`. */
async function everySplit(
  text: string,
  options: LineSplitterOptions,
  expected: (offsets: number[]) => Array<{ text: string; t: number }>,
  expectedProblems = 0,
): Promise<number> {
  const bytes = encode(text);
  const tricky = [...offsetsOf(bytes, "\r\n"), ...offsetsOf(bytes, "°"), ...offsetsOf(bytes, "µ")];
  const all = splits(bytes.length, 5, tricky);
  for (const offsets of all) {
    const problems: DriverProblem[] = [];
    const lines = await collect(timedSource(cut(bytes, offsets)).pipeThrough(new LineSplitter({ ...options, onProblem: (p) => problems.push(p) })));
    expect(lines, `cut at ${offsets.join(",")}`).toEqual(expected(offsets));
    expect(problems.length, `cut at ${offsets.join(",")}`).toBe(expectedProblems);
  }
  return all.length;
}

describe("LineSplitter", () => {
  it("splits at LF, drops the CR of CR LF, decodes multibyte characters split across chunks, stamps with the terminator's chunk", async () => {
    const text = "# T[°C] p_µbar\r\n600.5 1.2e-7\r\n\r\nµ°µ°\n" + "rest°";
    const bytes = encode(text);
    const lf = [...bytes.keys()].filter((i) => bytes[i] === 0x0a);
    const runs = await everySplit(text, {}, (offsets) => [
      { text: "# T[°C] p_µbar", t: stampOf(lf[0]!, offsets) },
      { text: "600.5 1.2e-7", t: stampOf(lf[1]!, offsets) },
      { text: "", t: stampOf(lf[2]!, offsets) },
      { text: "µ°µ°", t: stampOf(lf[3]!, offsets) },
      { text: "rest°", t: stampOf(bytes.length - 1, offsets) }, // the rest, at the end of input
    ]);
    expect(runs).toBeGreaterThan(bytes.length); // every single cut and a sample of pairs
  });

  it("drops the first line when asked", async () => {
    await everySplit("tail of a line\r\nwhole\r\n", { dropFirstLine: true }, (offsets) => [{ text: "whole", t: stampOf(22, offsets) }]);
  });

  it("with cr: true, ends lines at CR, LF or CR LF (one terminator), stamped at the first terminator byte", async () => {
    const text = "a\rb\r\nc\n\rd°";
    // a ends at 1 (CR); b at 3 (CR of CR LF); c at 6 (LF); "" at 7 (CR); d° is the rest
    await everySplit(text, { cr: true }, (offsets) => [
      { text: "a", t: stampOf(1, offsets) },
      { text: "b", t: stampOf(3, offsets) },
      { text: "c", t: stampOf(6, offsets) },
      { text: "", t: stampOf(7, offsets) },
      { text: "d°", t: stampOf(encode(text).length - 1, offsets) },
    ]);
  });

  it("without cr, a lone CR stays in the line", async () => {
    const lines = await collect(timedSource([encode("a\rb\n")]).pipeThrough(new LineSplitter()));
    expect(lines).toEqual([{ text: "a\rb", t: 1 }]);
  });

  it("skips and reports a line over maxLineBytes at every split; a line of exactly the limit (CR LF after it) is kept", async () => {
    const sixteen = "0123456789abcdef";
    const text = `short\r\n${"x".repeat(40)}\r\n${sixteen}\r\n${sixteen}Z\r\nafter\r\n`;
    const bytes = encode(text);
    const lf = [...bytes.keys()].filter((i) => bytes[i] === 0x0a);
    await everySplit(
      text,
      { maxLineBytes: 16 },
      (offsets) => [
        { text: "short", t: stampOf(lf[0]!, offsets) },
        { text: sixteen, t: stampOf(lf[2]!, offsets) },
        { text: "after", t: stampOf(lf[4]!, offsets) },
      ],
      2,
    );
    const problems: DriverProblem[] = [];
    await collect(timedSource([bytes]).pipeThrough(new LineSplitter({ maxLineBytes: 16, onProblem: (p) => problems.push(p) })));
    expect(problems.map((p) => p.kind)).toEqual(["line-too-long", "line-too-long"]);
    expect(problems[0]!.message).toMatch(/40 bytes exceeds the 16-byte limit/);
    expect(problems[0]!.raw).toMatch(/^x+…$/);
  });

  it("keeps memory bounded on an endless line: 8 MiB without a terminator, then a good line", () => {
    const problems: DriverProblem[] = [];
    const framer = new LineFramer({ onProblem: (p) => problems.push(p) });
    const junk = new Uint8Array(64 * 1024).fill(0x41);
    for (let i = 0; i < 128; i++) expect(framer.push({ bytes: junk, t: i })).toEqual([]);
    expect(framer.push({ bytes: encode("A\nok\n"), t: 200 })).toEqual([{ text: "ok", t: 200 }]);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.message).toMatch(/of 8388609 bytes exceeds the 4096-byte limit/);
  });

  it("decodes invalid UTF-8 as U+FFFD without losing the line", async () => {
    const lines = await collect(timedSource([Uint8Array.of(0x61, 0xff, 0x62, 0x0a)]).pipeThrough(new LineSplitter()));
    expect(lines).toEqual([{ text: "a\uFFFDb", t: 1 }]);
  });
});

describe("DelimiterSplitter", () => {
  it("cuts at a multi-byte delimiter (;FF) split across chunks, at every split", async () => {
    const text = "@253ACK1.10E-5;FF@253ACK2.2°E-5;FF@253NAK160;FFrest";
    const bytes = encode(text);
    const ends = [...bytes.keys()].filter((i) => i >= 2 && bytes[i - 2] === 0x3b && bytes[i - 1] === 0x46 && bytes[i] === 0x46); // last F of each ";FF"
    expect(new TextDecoder().decode(bytes.slice(ends[0]! - 2, ends[0]! + 1))).toBe(";FF");
    const all = splits(bytes.length, 9, [...offsetsOf(bytes, ";FF"), ...offsetsOf(bytes, "°")]);
    for (const offsets of all) {
      const frames = await collect(timedSource(cut(bytes, offsets)).pipeThrough(new DelimiterSplitter({ delimiter: ";FF" })));
      expect(frames.map((f) => ({ text: new TextDecoder().decode(f.bytes), t: f.t })), `cut at ${offsets.join(",")}`).toEqual([
        { text: "@253ACK1.10E-5", t: stampOf(ends[0]!, offsets) },
        { text: "@253ACK2.2°E-5", t: stampOf(ends[1]!, offsets) },
        { text: "@253NAK160", t: stampOf(ends[2]!, offsets) },
        { text: "rest", t: stampOf(bytes.length - 1, offsets) },
      ]);
    }
  });

  it("finds a delimiter whose prefix repeats (aab in aaab), keeps it when asked, and takes a byte value (ACK)", async () => {
    const frames = await collect(timedSource([encode("xaa"), encode("aby")]).pipeThrough(new DelimiterSplitter({ delimiter: "aab", includeDelimiter: true })));
    expect(frames.map((f) => new TextDecoder().decode(f.bytes))).toEqual(["xaaab", "y"]);
    const acked = await collect(timedSource([encode("12.5 Å\x06"), encode("7\x06")]).pipeThrough(new DelimiterSplitter({ delimiter: 0x06 })));
    expect(acked.map((f) => new TextDecoder().decode(f.bytes))).toEqual(["12.5 Å", "7"]);
  });

  it("skips and reports a frame over maxFrameBytes", async () => {
    const problems: DriverProblem[] = [];
    const frames = await collect(
      timedSource([encode("ok;FF" + "z".repeat(30)), encode(";F"), encode("Fgood;FF")]).pipeThrough(
        new DelimiterSplitter({ delimiter: ";FF", maxFrameBytes: 8, onProblem: (p) => problems.push(p) }),
      ),
    );
    expect(frames.map((f) => new TextDecoder().decode(f.bytes))).toEqual(["ok", "good"]);
    expect(problems.map((p) => [p.kind, p.message.match(/of (\d+) bytes/)?.[1]])).toEqual([["frame-too-long", "30"]]);
  });
});
