/**
 * Request bodies of the hot path written straight as JSON text: each channel's arrays are joined into the
 * text where they stand (plain arrays or typed arrays alike), with no intermediate body object and no
 * copy of a typed array into a plain one. The text is exactly what `JSON.stringify` makes of the same
 * body (same key order; a non-finite or non-number entry takes JSON.stringify's own path, e.g. NaN → null).
 */
import type { ChannelPoints, NumberArray } from "./types.js";

/** `POST {prefix}/stream/chunk` body. */
export function chunkBodyText(dataId: string, chunkIndex: number, channelName: string, points: ChannelPoints): string {
  return `{"data_id":${JSON.stringify(dataId)},"chunk_index":${JSON.stringify(chunkIndex)},"channel_name":${JSON.stringify(channelName)},${pointsText(points)}}`;
}

/** `POST {prefix}/stream/chunk/multi` body. */
export function chunkMultiBodyText(dataId: string, chunkIndex: number, channels: ReadonlyArray<readonly [string, ChannelPoints]>): string {
  let text = `{"data_id":${JSON.stringify(dataId)},"chunk_index":${JSON.stringify(chunkIndex)},"channels":{`;
  for (let i = 0; i < channels.length; i++) {
    const [name, points] = channels[i]!;
    text += `${i === 0 ? "" : ","}${JSON.stringify(name)}:{${pointsText(points)}}`;
  }
  return `${text}}}`;
}

function pointsText(points: ChannelPoints): string {
  const units = points.units != null ? `,"units":${JSON.stringify(points.units)}` : "";
  return `"timestamps":${numbers(points.timestamps)},"values":${numbers(points.values)}${units}`;
}

const join = Array.prototype.join;

function numbers(a: NumberArray): string {
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    if (typeof x !== "number" || !Number.isFinite(x)) return JSON.stringify(Array.from(a));
  }
  // For finite numbers Array#join writes what JSON.stringify writes (both use Number#toString; -0 → "0").
  return `[${join.call(a, ",")}]`;
}
