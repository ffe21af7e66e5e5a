/** Commands cut from the input by a protocol's frame measure (the simulators of framed protocols). */
import { EnvelopeFramer, type FrameMeasure } from "../envelope-framer.js";

export function framedCommands(name: string, measure: (bytes: Uint8Array) => FrameMeasure): (bytes: Uint8Array) => Uint8Array[] {
  const framer = new EnvelopeFramer({ name, measure });
  return (bytes) => framer.push({ bytes, t: 0 }).map((f) => f.bytes);
}

/** The frame with its last byte changed (a damaged check byte). */
export function corruptLast(frame: Uint8Array): Uint8Array {
  const out = frame.slice();
  out[out.length - 1] = out[out.length - 1]! ^ 0x5a;
  return out;
}
