/**
 * Framing on bytes (reference §0, §1.2, §4): frames are cut from the `Uint8Array`s as they arrive, and
 * only a complete frame is decoded as text — a multibyte UTF-8 character split across two chunks, or a
 * CR in one chunk and its LF in the next, come out right. A frame carries the receipt time of the chunk
 * that brought its terminator. A frame longer than the limit is reported and skipped while it streams
 * past: memory stays bounded whatever the instrument sends.
 */
import type { DriverProblem, TimedBytes } from "./driver.js";
import { TransformStreamBase } from "../streams/web-streams.js";

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

const LF = 0x0a;
const CR = 0x0d;
/** How much of a skipped frame a problem report quotes. */
const QUOTED_BYTES = 64;

export interface LineSplitterOptions {
  /** Also end a line at a lone CR (CR LF stays one terminator). Without it, a line ends at LF and a CR before the LF is dropped. @default false */
  cr?: boolean;
  /** Drop the first line: right after connecting it may be the tail of a line. @default false */
  dropFirstLine?: boolean;
  /** The longest line kept, in bytes, terminator excluded. A longer one is reported (kind "line-too-long") and skipped. @default 4096 */
  maxLineBytes?: number;
  /** Told of every line skipped for its length. */
  onProblem?: (problem: DriverProblem) => void;
}

/** Concatenate byte pieces. */
function concat(parts: readonly Uint8Array[], length: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function tooLong(size: number, max: number, head: Uint8Array, t: number, decoder: TextDecoder, what: string): DriverProblem {
  return {
    kind: `${what}-too-long`,
    message: `A ${what} of ${size} bytes exceeds the ${max}-byte limit and was skipped (raise the limit if the instrument really sends such ${what}s).`,
    raw: decoder.decode(head).replace(/\r$/, "") + "…",
    t,
  };
}

/**
 * The line framer itself, synchronous: push chunks, get the lines they complete. `LineSplitter` is this
 * as a stream; polled drivers use it directly on the replies they read (and `reset()` it per query).
 */
export class LineFramer {
  readonly #cr: boolean;
  readonly #max: number;
  readonly #onProblem: ((problem: DriverProblem) => void) | undefined;
  readonly #decoder = new TextDecoder();
  #parts: Uint8Array[] = [];
  #length = 0;
  /** Bytes of the current line skipped so far (> 0: the line is too long and is being skipped). */
  #skipped = 0;
  #skippedHead: Uint8Array = new Uint8Array(0);
  /** The last byte appended to the current line (a CR of a CR LF is not counted in a skipped line's size). */
  #lastByte = -1;
  /** cr mode: the last chunk ended with a CR, so an LF opening the next belongs to that line. */
  #pendingLF = false;
  #dropFirst: boolean;
  #lastT = 0;

  constructor(options: LineSplitterOptions = {}) {
    this.#cr = options.cr ?? false;
    this.#max = options.maxLineBytes ?? 4096;
    if (!(this.#max > 0)) throw new RangeError(`maxLineBytes must be above 0 (got ${this.#max}).`);
    this.#dropFirst = options.dropFirstLine ?? false;
    this.#onProblem = options.onProblem;
  }

  /** The lines this chunk completes, in order. */
  push(chunk: TimedBytes): TimedLine[] {
    const { bytes, t } = chunk;
    this.#lastT = t;
    const out: TimedLine[] = [];
    let start = 0;
    if (this.#pendingLF && bytes.length > 0) {
      this.#pendingLF = false;
      if (bytes[0] === LF) start = 1;
    }
    for (;;) {
      const end = this.#nextTerminator(bytes, start);
      if (end < 0) break;
      this.#append(bytes.subarray(start, end));
      this.#endLine(t, out);
      start = end + 1;
      if (this.#cr && bytes[end] === CR) {
        if (end + 1 < bytes.length) {
          if (bytes[end + 1] === LF) start = end + 2;
        } else {
          this.#pendingLF = true;
        }
      }
    }
    this.#append(bytes.subarray(start));
    return out;
  }

  /** The unterminated rest as a last line (at the end of input); empty if there is none. */
  flush(): TimedLine[] {
    const out: TimedLine[] = [];
    if (this.#length > 0 || this.#skipped > 0) this.#endLine(this.#lastT, out);
    this.#pendingLF = false;
    return out;
  }

  /** Forget the partial line (a polled driver, before its next query). */
  reset(): void {
    this.#parts = [];
    this.#length = 0;
    this.#skipped = 0;
    this.#pendingLF = false;
  }

  #nextTerminator(bytes: Uint8Array, from: number): number {
    if (!this.#cr) return bytes.indexOf(LF, from);
    for (let i = from; i < bytes.length; i++) {
      const b = bytes[i];
      if (b === LF || b === CR) return i;
    }
    return -1;
  }

  #append(piece: Uint8Array): void {
    if (piece.length === 0) return;
    this.#lastByte = piece[piece.length - 1]!;
    if (this.#skipped > 0) {
      this.#skipped += piece.length;
      return;
    }
    // Without cr mode, one byte more than the limit may be the CR of a CR LF.
    const allowed = this.#max + (this.#cr ? 0 : 1);
    if (this.#length + piece.length > allowed) {
      const whole = concat([...this.#parts, piece], this.#length + piece.length);
      this.#skippedHead = whole.slice(0, QUOTED_BYTES);
      this.#skipped = whole.length;
      this.#parts = [];
      this.#length = 0;
      return;
    }
    this.#parts.push(piece.slice()); // a copy: the producer may reuse its buffer
    this.#length += piece.length;
  }

  #endLine(t: number, out: TimedLine[]): void {
    const drop = this.#dropFirst;
    this.#dropFirst = false;
    if (this.#skipped > 0) {
      const size = this.#skipped - (!this.#cr && this.#lastByte === CR ? 1 : 0);
      this.#skipped = 0;
      if (!drop) this.#onProblem?.(tooLong(size, this.#max, this.#skippedHead, t, this.#decoder, "line"));
      return;
    }
    let line = concat(this.#parts, this.#length);
    this.#parts = [];
    this.#length = 0;
    if (!this.#cr && line.length > 0 && line[line.length - 1] === CR) line = line.subarray(0, line.length - 1);
    if (line.length > this.#max) {
      if (!drop) this.#onProblem?.(tooLong(line.length, this.#max, line.slice(0, QUOTED_BYTES), t, this.#decoder, "line"));
      return;
    }
    if (drop) return;
    out.push({ text: this.#decoder.decode(line), t });
  }
}

/**
 * Bytes in, lines out: split at LF (a CR before it dropped; with `cr: true` a lone CR ends a line too),
 * each line decoded as UTF-8 once complete and stamped with the time of the chunk that brought its
 * terminator. The unterminated rest comes out when the input closes.
 *
 * @example
 * const lines = conn.readable.pipeThrough(new LineSplitter({ dropFirstLine: true }));
 * for await (const { text, t } of lines) console.log(t, text);
 */
export class LineSplitter extends TransformStreamBase<TimedBytes, TimedLine> {
  constructor(options: LineSplitterOptions = {}) {
    const framer = new LineFramer(options);
    super({
      transform(chunk, controller) {
        for (const line of framer.push(chunk)) controller.enqueue(line);
      },
      flush(controller) {
        for (const line of framer.flush()) controller.enqueue(line);
      },
    });
  }
}

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
