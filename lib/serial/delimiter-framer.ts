/**
 * Delimiter framing on bytes: frames cut at a byte delimiter that may span chunks (ACK-terminated
 * replies, MKS's `;FF`), each stamped with the receipt time of the chunk that completed it; a frame
 * longer than the limit is reported and skipped.
 */
import type { DriverProblem, TimedBytes } from "./driver.js";
import { TransformStreamBase } from "../streams/web-streams.js";
import { QUOTED_BYTES, tooLong, type TimedFrame } from "./frame-types.js";

export interface DelimiterSplitterOptions {
  /** The delimiter: bytes, a string (UTF-8) or one byte value, e.g. 0x06 (ACK) or ";FF". */
  delimiter: Uint8Array | string | number;
  /** Keep the delimiter at the end of each frame. @default false */
  includeDelimiter?: boolean;
  /** The longest frame kept, in bytes, delimiter excluded; a longer one is reported (kind "frame-too-long") and skipped. @default 4096 */
  maxFrameBytes?: number;
  /** Told of every frame skipped for its length. */
  onProblem?: (problem: DriverProblem) => void;
}

/** The delimiter framer, synchronous (what `DelimiterSplitter` runs). A delimiter may span chunks. */
export class DelimiterFramer {
  readonly #delimiter: Uint8Array;
  /** KMP failure table of the delimiter. */
  readonly #fail: Uint16Array;
  readonly #include: boolean;
  readonly #max: number;
  readonly #onProblem: ((problem: DriverProblem) => void) | undefined;
  readonly #decoder = new TextDecoder();
  #buffer = new Uint8Array(64);
  #length = 0;
  #matched = 0;
  #skipped = 0;
  #skippedHead = new Uint8Array(0);
  #lastT = 0;

  constructor(options: DelimiterSplitterOptions) {
    const d = options.delimiter;
    this.#delimiter = typeof d === "number" ? Uint8Array.of(d) : typeof d === "string" ? new TextEncoder().encode(d) : d.slice();
    if (this.#delimiter.length === 0) throw new RangeError("The delimiter must be at least one byte.");
    this.#include = options.includeDelimiter ?? false;
    this.#max = options.maxFrameBytes ?? 4096;
    if (!(this.#max > 0)) throw new RangeError(`maxFrameBytes must be above 0 (got ${this.#max}).`);
    this.#onProblem = options.onProblem;
    const dl = this.#delimiter;
    this.#fail = new Uint16Array(dl.length);
    for (let i = 1, k = 0; i < dl.length; i++) {
      while (k > 0 && dl[i] !== dl[k]) k = this.#fail[k - 1]!;
      if (dl[i] === dl[k]) k++;
      this.#fail[i] = k;
    }
  }

  /** The frames this chunk completes, in order. */
  push(chunk: TimedBytes): TimedFrame[] {
    const { bytes, t } = chunk;
    this.#lastT = t;
    const out: TimedFrame[] = [];
    const dl = this.#delimiter;
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i]!;
      while (this.#matched > 0 && dl[this.#matched] !== b) this.#matched = this.#fail[this.#matched - 1]!;
      if (dl[this.#matched] === b) this.#matched++;
      this.#store(b);
      if (this.#matched === dl.length) {
        this.#matched = 0;
        this.#endFrame(t, out, true);
      }
    }
    return out;
  }

  /** The undelimited rest as a last frame (at the end of input); empty if there is none. */
  flush(): TimedFrame[] {
    const out: TimedFrame[] = [];
    if (this.#length > 0 || this.#skipped > 0) this.#endFrame(this.#lastT, out, false);
    this.#matched = 0;
    return out;
  }

  /** Forget the partial frame. */
  reset(): void {
    this.#length = 0;
    this.#matched = 0;
    this.#skipped = 0;
  }

  #store(b: number): void {
    if (this.#skipped > 0) {
      this.#skipped++;
      return;
    }
    if (this.#length >= this.#max + this.#delimiter.length) {
      // Too long even if the delimiter ends right here: skip the frame.
      this.#skippedHead = this.#buffer.slice(0, QUOTED_BYTES);
      this.#skipped = this.#length + 1;
      this.#length = 0;
      return;
    }
    if (this.#length === this.#buffer.length) {
      const bigger = new Uint8Array(Math.min(this.#buffer.length * 2, this.#max + this.#delimiter.length));
      bigger.set(this.#buffer);
      this.#buffer = bigger;
    }
    this.#buffer[this.#length++] = b;
  }

  #endFrame(t: number, out: TimedFrame[], delimited: boolean): void {
    const dlen = delimited ? this.#delimiter.length : 0;
    if (this.#skipped > 0) {
      const size = this.#skipped - dlen;
      this.#skipped = 0;
      this.#onProblem?.(tooLong(size, this.#max, this.#skippedHead, t, this.#decoder, "frame"));
      return;
    }
    const size = this.#length - dlen;
    const frame = this.#buffer.slice(0, this.#include ? this.#length : size);
    this.#length = 0;
    if (size > this.#max) {
      this.#onProblem?.(tooLong(size, this.#max, frame.slice(0, QUOTED_BYTES), t, this.#decoder, "frame"));
      return;
    }
    out.push({ bytes: frame, t });
  }
}

/**
 * Bytes in, frames out, cut at a byte delimiter (ACK-terminated replies, MKS's `;FF`, …). The delimiter
 * may arrive split across chunks. Frames are bytes: decode them once you know they are text.
 *
 * @example
 * const replies = conn.readable.pipeThrough(new DelimiterSplitter({ delimiter: ";FF" }));
 */
export class DelimiterSplitter extends TransformStreamBase<TimedBytes, TimedFrame> {
  constructor(options: DelimiterSplitterOptions) {
    const framer = new DelimiterFramer(options);
    super({
      transform(chunk, controller) {
        for (const frame of framer.push(chunk)) controller.enqueue(frame);
      },
      flush(controller) {
        for (const frame of framer.flush()) controller.enqueue(frame);
      },
    });
  }
}

