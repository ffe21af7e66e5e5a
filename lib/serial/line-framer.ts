/**
 * Line framing on bytes (reference §0, §1.2, §4): lines are cut from the `Uint8Array`s as they arrive,
 * and only a complete line is decoded as text — a multibyte UTF-8 character split across two chunks, or
 * a CR in one chunk and its LF in the next, come out right. A line carries the receipt time of the chunk
 * that brought its terminator. A line longer than the limit is reported and skipped while it streams
 * past: memory stays bounded whatever the instrument sends.
 */
import type { DriverProblem, TimedBytes } from "./driver.js";
import { TransformStreamBase } from "../streams/web-streams.js";
import { concat, QUOTED_BYTES, tooLong, type TimedLine } from "./frame-types.js";

const LF = 0x0a;
const CR = 0x0d;

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
