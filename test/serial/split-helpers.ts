/** Cutting one byte stream every way: at every offset, and into three pieces at a sample of offset pairs. */
import type { TimedBytes } from "../../lib/serial/driver.js";
import type { Reading } from "../../lib/types.js";

export const encode = (text: string) => new TextEncoder().encode(text);

/** `bytes` cut at these offsets (sorted, 0 < offset < length). */
export function cut(bytes: Uint8Array, offsets: readonly number[]): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  let at = 0;
  for (const o of offsets) {
    if (o <= at || o >= bytes.length) continue;
    pieces.push(bytes.slice(at, o));
    at = o;
  }
  pieces.push(bytes.slice(at));
  return pieces;
}

/** Every single cut, then a sample of two cuts (every `step`-th pair, plus every pair touching `must`). */
export function splits(length: number, step = 7, must: readonly number[] = []): number[][] {
  const out: number[][] = [[]];
  for (let i = 1; i < length; i++) out.push([i]);
  let k = 0;
  for (let i = 1; i < length; i++) {
    for (let j = i + 1; j < length; j++) {
      if (k++ % step === 0 || must.includes(i) || must.includes(j)) out.push([i, j]);
    }
  }
  return out;
}

/** Pieces as TimedBytes stamped 1, 2, 3, … (so a test can tell which chunk brought a terminator). */
export function timedSource(pieces: readonly Uint8Array[]): ReadableStream<TimedBytes> {
  let i = 0;
  return new ReadableStream<TimedBytes>({
    pull(controller) {
      const bytes = pieces[i++];
      if (bytes === undefined) controller.close();
      else controller.enqueue({ bytes, t: i });
    },
  });
}

/** The stamp a byte at `position` gets when the stream is cut at `offsets` (chunks stamped from 1). */
export function stampOf(position: number, offsets: readonly number[]): number {
  return 1 + offsets.filter((o) => o <= position).length;
}

export async function collect<T>(readable: ReadableStream<T>): Promise<T[]> {
  const out: T[] = [];
  const reader = readable.getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return out;
    out.push(value);
  }
}

/** Readings without their timestamps, for comparing runs whose chunks arrived at other times. */
export const values = (readings: readonly Reading[]) => readings.map(({ channel, value, units }) => ({ channel, value, units }));

/** Offsets of every byte of `needle` in `bytes` (to make sure a split lands inside it). */
export function offsetsOf(bytes: Uint8Array, needle: string): number[] {
  const n = encode(needle);
  const out: number[] = [];
  outer: for (let i = 0; i + n.length <= bytes.length; i++) {
    for (let j = 0; j < n.length; j++) if (bytes[i + j] !== n[j]) continue outer;
    for (let j = 1; j < n.length; j++) out.push(i + j);
  }
  return out;
}
