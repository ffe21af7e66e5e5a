/** EnvelopeFramer: measured frames cut from a byte stream split every way; stray bytes; a silence inside a frame. */
import { describe, expect, it } from "vitest";
import { EnvelopeFramer } from "../../lib/serial/envelope-framer.js";
import { bisynchMeasure, bisynchReply } from "../../lib/serial/instruments/eurotherm-bisynch.js";
import { sqmFrame, sqmMeasure } from "../../lib/serial/instruments/inficon-sqm160.js";
import type { DriverProblem } from "../../lib/serial/driver.js";
import { cut, splits } from "./split-helpers.js";

const hexOf = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) (out.set(p, at), (at += p.length));
  return out;
};

describe("EnvelopeFramer", () => {
  it("gives the same frames and the same stray-byte report for every split of a stream (inside CRCs above 0x7F too)", () => {
    const frames = [sqmFrame(new TextEncoder().encode("A 0.52 "), 35), sqmFrame(new TextEncoder().encode("A5875830.230"), 35), sqmFrame(new TextEncoder().encode("C"), 35)];
    expect(frames.some((f) => f.some((b) => b > 0x7f))).toBe(true);
    const stream = concat(frames[0]!, Uint8Array.of(0x41, 0x42), frames[1]!, frames[2]!);
    const all = splits(stream.length, 5);
    for (const offsets of all) {
      const problems: DriverProblem[] = [];
      const framer = new EnvelopeFramer({ name: "SQM-160 reply", measure: sqmMeasure(35), onProblem: (p) => problems.push(p) });
      const out = cut(stream, offsets).flatMap((bytes, i) => framer.push({ bytes, t: i }));
      expect(out.map((f) => hexOf(f.bytes)), `cut at ${offsets.join(",")}`).toEqual(frames.map(hexOf));
      expect(problems.map((p) => [p.kind, p.raw]), `cut at ${offsets.join(",")}`).toEqual([["stray-bytes", "41 42"]]);
      expect(framer.pending).toBe(0);
    }
    expect(all.length).toBeGreaterThan(100);
  });

  it("EI-Bisynch replies: a BCC that equals STX, ETX or EOT is still the frame's last byte", () => {
    const replies = ["PV1.0", "PV23.4", "SL-5", "OP100"].map((d) => bisynchReply(d.slice(0, 2), d.slice(2)));
    const eot = Uint8Array.of(0x04);
    const stream = concat(replies[0]!, eot, replies[1]!, replies[2]!, replies[3]!);
    for (const offsets of splits(stream.length, 3)) {
      const framer = new EnvelopeFramer({ name: "reply", measure: bisynchMeasure });
      const out = cut(stream, offsets).flatMap((bytes) => framer.push({ bytes, t: 0 }));
      expect(out.map((f) => hexOf(f.bytes))).toEqual([replies[0]!, eot, ...replies.slice(1)].map(hexOf));
    }
  });

  it("drops a partial frame followed by a silence longer than gapMs, and reports it", () => {
    const problems: DriverProblem[] = [];
    const frame = sqmFrame(new TextEncoder().encode("A 1.00 "), 35);
    const framer = new EnvelopeFramer({ name: "reply", measure: sqmMeasure(35), gapMs: 50, onProblem: (p) => problems.push(p) });
    expect(framer.push({ bytes: frame.subarray(0, 4), t: 100 })).toEqual([]);
    expect(framer.push({ bytes: frame.subarray(4, 6), t: 100.04 })).toEqual([]); // 40 ms: still one frame
    expect(framer.push({ bytes: frame, t: 100.2 }).map((f) => hexOf(f.bytes))).toEqual([hexOf(frame)]);
    expect(problems.map((p) => p.kind)).toEqual(["frame-gap"]);
    expect(problems[0]!.message).toMatch(/followed by 160 ms of silence \(more than 50 ms\) and was dropped/);
  });

  it("keeps memory bounded whatever arrives", () => {
    const problems: DriverProblem[] = [];
    const framer = new EnvelopeFramer({ name: "reply", measure: (b) => (b.length < 1000 ? "more" : 1000), maxFrameBytes: 100, onProblem: (p) => problems.push(p) });
    for (let i = 0; i < 100; i++) framer.push({ bytes: new Uint8Array(100), t: i });
    expect(framer.pending).toBeLessThanOrEqual(400);
    expect(problems.length).toBeGreaterThan(0);
  });
});
