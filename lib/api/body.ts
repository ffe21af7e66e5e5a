/**
 * Request bodies of the hot path written straight as JSON text: each channel's arrays are written into the
 * text where they stand, with no intermediate body object. The text is exactly what `JSON.stringify` makes
 * of the same body (same key order; NaN → null as JSON.stringify has it).
 */
import type { ChannelPoints, NumberArray } from "./types.js";

/** `POST {prefix}/stream/chunk` body. */
export function chunkBodyText(dataId: string, chunkIndex: number, channelName: string, points: ChannelPoints): string {
  return `{"data_id":${JSON.stringify(dataId)},"chunk_index":${JSON.stringify(chunkIndex)},"channel_name":${JSON.stringify(channelName)},${pointsText(points)}}`;
}

/**
 * `POST {prefix}/stream/chunk/multi` body. Channels of one instrument usually share their timestamps (one
 * line, one time): a channel whose timestamps equal the previous channel's reuses their text.
 */
export function chunkMultiBodyText(dataId: string, chunkIndex: number, channels: ReadonlyArray<readonly [string, ChannelPoints]>): string {
  let text = `{"data_id":${JSON.stringify(dataId)},"chunk_index":${JSON.stringify(chunkIndex)},"channels":{`;
  let lastTimestamps: NumberArray | undefined;
  let lastText = "";
  for (let i = 0; i < channels.length; i++) {
    const [name, points] = channels[i]!;
    if (lastTimestamps === undefined || !sameNumbers(points.timestamps, lastTimestamps)) {
      lastTimestamps = points.timestamps;
      lastText = numbers(points.timestamps);
    }
    text += `${i === 0 ? "" : ","}${JSON.stringify(name)}:{"timestamps":${lastText},"values":${numbers(points.values)}${unitsText(points)}}`;
  }
  return `${text}}}`;
}

/** True when both hold the same numbers (so their JSON text is the same). */
function sameNumbers(a: NumberArray, b: NumberArray): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function unitsText(points: ChannelPoints): string {
  return points.units != null ? `,"units":${JSON.stringify(points.units)}` : "";
}

function pointsText(points: ChannelPoints): string {
  return `"timestamps":${numbers(points.timestamps)},"values":${numbers(points.values)}${unitsText(points)}`;
}

/**
 * A list of numbers as JSON text. `JSON.stringify` writes a plain array of doubles straight into its
 * output (about twice as fast as `Array#join`, which makes a string per number first); a typed array is
 * copied into a plain one first (`JSON.stringify` would write it as an object).
 */
function numbers(a: NumberArray): string {
  return JSON.stringify(Array.isArray(a) ? a : Array.from(a));
}
