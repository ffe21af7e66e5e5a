/** What the byte framers share: the frame types, and the report of a frame skipped for its length. */
import type { DriverProblem } from "./driver.js";


/** One line of text, stamped with the receipt time of the chunk that brought its terminator. */
export interface TimedLine {
  text: string;
  t: number;
}

/** One frame of bytes (delimiter removed), stamped like a line. */
export interface TimedFrame {
  bytes: Uint8Array;
  t: number;
}

/** How much of a skipped frame a problem report quotes. */
export const QUOTED_BYTES = 64;

/** Concatenate byte pieces. */
export function concat(parts: readonly Uint8Array[], length: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function tooLong(size: number, max: number, head: Uint8Array, t: number, decoder: { decode(input: Uint8Array): string }, what: string): DriverProblem {
  return {
    kind: `${what}-too-long`,
    message: `A ${what} of ${size} bytes exceeds the ${max}-byte limit and was skipped (raise the limit if the instrument really sends such ${what}s).`,
    raw: decoder.decode(head).replace(/\r$/, "") + "…",
    t,
  };
}
