/**
 * Framing for binary and control-character protocols (reference §4, framings 2 and 3): a frame starts
 * at a sync byte and its length is known from its first bytes — `!`+length+…+CRC (Inficon),
 * STX+LEN+DATA+CHK (Sycon), STX…ETX+BCC (Eurotherm), address+function+count+…+CRC (Modbus RTU). The
 * protocol says how long a frame is (`measure`); this framer cuts frames from the chunks as they arrive,
 * skips and reports bytes that cannot start a frame, and — for Modbus RTU — drops a partial frame
 * after a silence (`gapMs`). It checks no check bytes: the driver does, so that a bad one is reported
 * with what the frame was.
 */
import type { DriverProblem, TimedBytes } from "./driver.js";
import type { TimedFrame } from "./framing.js";
import { hex } from "./checksums.js";

/** A frame's whole length; "more" when more bytes are needed to tell; "skip" when the first byte cannot start a frame. */
export type FrameMeasure = number | "more" | "skip";

export interface EnvelopeFramerOptions {
  /** What the frames are, for messages ("SQM-160 reply"). */
  name: string;
  /** The length of the frame starting at `bytes[0]` (`bytes` is what has arrived from there on). */
  measure: (bytes: Uint8Array) => FrameMeasure;
  /** The longest frame a `measure` may give. @default 512 */
  maxFrameBytes?: number;
  /** A silence longer than this (ms, by receipt stamps) inside a frame drops the partial frame. @default none */
  gapMs?: number;
  /** Told of stray bytes skipped and partial frames dropped. */
  onProblem?: ((problem: DriverProblem) => void) | undefined;
}

/** Cuts measured frames from a byte stream; synchronous (a polled driver `reset()`s it per query). */
export class EnvelopeFramer {
  readonly #options: EnvelopeFramerOptions;
  readonly #max: number;
  #buffer = new Uint8Array(64);
  #length = 0;
  #lastT: number | undefined;
  #stray: number[] = [];

  constructor(options: EnvelopeFramerOptions) {
    this.#options = options;
    this.#max = options.maxFrameBytes ?? 512;
  }

  /** The frames this chunk completes, in order. */
  push(chunk: TimedBytes): TimedFrame[] {
    const { bytes, t } = chunk;
    const gapMs = this.#options.gapMs;
    if (gapMs !== undefined && this.#length > 0 && this.#lastT !== undefined && (t - this.#lastT) * 1000 > gapMs) {
      this.#report("frame-gap", `A partial ${this.#options.name} was followed by ${Math.round((t - this.#lastT) * 1000)} ms of silence (more than ${gapMs} ms) and was dropped.`, this.#buffer.subarray(0, this.#length), t);
      this.#length = 0;
    }
    this.#lastT = t;
    this.#append(bytes);
    const out: TimedFrame[] = [];
    let start = 0;
    while (start < this.#length) {
      const view = this.#buffer.subarray(start, this.#length);
      const m = this.#options.measure(view);
      if (m === "more") break;
      if (m === "skip" || !(m > 0) || m > this.#max) {
        if (this.#stray.length < 64) this.#stray.push(view[0]!);
        start++;
        continue;
      }
      if (view.length < m) break;
      this.#reportStray(t);
      out.push({ bytes: view.slice(0, m), t });
      start += m;
    }
    this.#buffer.copyWithin(0, start, this.#length);
    this.#length -= start;
    return out;
  }

  /** Forget the partial frame (before the next query); stray bytes seen so far are reported. */
  reset(): void {
    this.#reportStray(this.#lastT ?? 0);
    this.#length = 0;
  }

  /** Bytes received and not yet part of a frame. */
  get pending(): number {
    return this.#length;
  }

  #append(bytes: Uint8Array): void {
    if (this.#length + bytes.length > this.#buffer.length) {
      const bigger = new Uint8Array(Math.max(this.#buffer.length * 2, this.#length + bytes.length));
      bigger.set(this.#buffer.subarray(0, this.#length));
      this.#buffer = bigger;
    }
    this.#buffer.set(bytes, this.#length);
    this.#length += bytes.length;
    // Bound memory whatever arrives: more than a frame can hold cannot all be one frame.
    if (this.#length > 4 * this.#max) {
      const drop = this.#length - this.#max;
      this.#report("stray-bytes", `${drop} bytes did not form a ${this.#options.name} and were skipped.`, this.#buffer.subarray(0, Math.min(drop, 32)), this.#lastT ?? 0);
      this.#buffer.copyWithin(0, drop, this.#length);
      this.#length -= drop;
    }
  }

  #reportStray(t: number): void {
    if (this.#stray.length === 0) return;
    const stray = Uint8Array.from(this.#stray);
    this.#stray = [];
    this.#report("stray-bytes", `${stray.length}${stray.length === 64 ? "+" : ""} bytes that do not start a ${this.#options.name} were skipped.`, stray, t);
  }

  #report(kind: string, message: string, bytes: Uint8Array, t: number): void {
    this.#options.onProblem?.({ kind, message, raw: hex(bytes), t });
  }
}
