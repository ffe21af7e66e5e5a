/**
 * Framing on bytes (reference §0, §1.2, §4): frames are cut from the `Uint8Array`s as they arrive, and
 * only a complete frame is decoded as text — a multibyte UTF-8 character split across two chunks, or a
 * CR in one chunk and its LF in the next, come out right. A frame carries the receipt time of the chunk
 * that brought its terminator. A frame longer than the limit is reported and skipped while it streams
 * past: memory stays bounded whatever the instrument sends.
 */
export type { TimedLine, TimedFrame } from "./frame-types.js";
export { LineFramer, LineSplitter } from "./line-framer.js";
export type { LineSplitterOptions } from "./line-framer.js";
export { DelimiterFramer, DelimiterSplitter } from "./delimiter-framer.js";
export type { DelimiterSplitterOptions } from "./delimiter-framer.js";
