/**
 * ValidateReadingsStream: the check between an instrument's readings and a stream's writable. A
 * reading the streamer would refuse (a non-finite value, a millisecond timestamp, an empty or over-long
 * channel name …) is reported and left out; the good readings of the same batch go on. Without it, one
 * bad reading rejects its whole batch at `writable().write()` and errors the pipe.
 */
import { Chunker } from "./chunker.js";
import { TransformStreamBase } from "./web-streams.js";
import type { Reading } from "../types.js";

/** A reading left out, and why. */
export interface InvalidReading {
  reading: unknown;
  /** The `InvalidInputError` (or other error) the check threw; its message names the field and the value. */
  error: unknown;
  message: string;
}

export interface ValidateReadingsStreamOptions {
  /** Told of every reading left out. @default undefined (left out silently: give one to count them) */
  onInvalid?: ((invalid: InvalidReading) => void) | undefined;
  /** Told of every batch that goes on (after the check), e.g. to count readings. @default undefined */
  onValid?: ((batch: readonly Reading[]) => void) | undefined;
}

/**
 * `Reading | Reading[]` in, non-empty `Reading[]` batches of valid readings out, in order.
 *
 * @example
 * const problems: string[] = [];
 * const out = await Array.fromAsync(
 *   ReadableStream.from([[{ channel: "T", t: 1764000000, value: 1 }, { channel: "T", t: 1764000001, value: NaN }]])
 *     .pipeThrough(new ValidateReadingsStream({ onInvalid: (p) => problems.push(p.message) })),
 * );
 * // out: [[{ channel: "T", t: 1764000000, value: 1 }]]; problems: one message naming `value` and NaN
 */
export class ValidateReadingsStream extends TransformStreamBase<Reading | readonly Reading[], Reading[]> {
  constructor(options: ValidateReadingsStreamOptions = {}) {
    const { onInvalid, onValid } = options;
    super({
      transform(batch, controller) {
        const items: readonly unknown[] = Array.isArray(batch) ? batch : [batch];
        const good: Reading[] = [];
        for (const item of items) {
          try {
            Chunker.check(item as Reading);
            good.push(item as Reading);
          } catch (error) {
            onInvalid?.({ reading: item, error, message: error instanceof Error ? error.message : String(error) });
          }
        }
        if (good.length === 0) return;
        onValid?.(good);
        controller.enqueue(good);
      },
    });
  }
}
