/**
 * Readings as the seed's API takes them (push, pushMulti, run), checked and turned into slices: every
 * field named in the InvalidInputError when it is wrong, channels without points left out (the platform
 * rejects an empty slice), and `run`'s `dataIter` read whether iterable, async iterable or ReadableStream.
 */
import { checkChannel, checkChunkIndex, checkPoints, checkUnits, InvalidInputError } from "../input.js";
import type { Slice } from "../types.js";
import type { ChannelPointsInput, PushMultiParams, PushParams, RunParams } from "./types.js";

/** `push`'s slice; `pointsPerChunk` 0: not known here (no bound on points). */
export function pushSlice(params: PushParams, pointsPerChunk: number): Slice {
  checkChunkIndex(params?.chunkIndex);
  checkChannel(params.channelName);
  checkPoints(params.timestamps, params.values, "", pointsPerChunk || undefined);
  checkUnits(params.units);
  return toSlice(params.channelName, params.chunkIndex, params.timestamps, params.values, params.units);
}

/** `pushMulti`'s slices, one per channel with points (at least one); `pointsPerChunk` 0: not known here. */
export function pushMultiSlices(params: PushMultiParams, pointsPerChunk: number): Slice[] {
  checkChunkIndex(params?.chunkIndex);
  const channels = params.channels;
  if (typeof channels !== "object" || channels === null) {
    throw new InvalidInputError("channels", channels, "must map one or more channel names to { timestamps, values, units? }");
  }
  // Own entries only (or a Map's): `__proto__`, `constructor` … are channel names like any other.
  const entries: Array<[string, ChannelPointsInput]> = channels instanceof Map ? [...channels] : Object.entries(channels);
  const slices: Slice[] = [];
  for (const [name, points] of entries) {
    checkChannel(name, `channels[${JSON.stringify(name)}]`);
    const field = `channels.${name}`;
    if (typeof points !== "object" || points === null) throw new InvalidInputError(field, points, "must be { timestamps, values, units? }");
    if (points.timestamps?.length === 0 && points.values?.length === 0) continue;
    checkPoints(points.timestamps, points.values, field, pointsPerChunk || undefined);
    checkUnits(points.units, `${field}.units`);
    slices.push(toSlice(name, params.chunkIndex, points.timestamps, points.values, points.units));
  }
  if (slices.length === 0) {
    throw new InvalidInputError("channels", channels instanceof Map ? Object.fromEntries(channels) : channels, "must hold at least one channel with points (empty channels are left out)");
  }
  return slices;
}

function toSlice(channel: string, chunkIndex: number, timestamps: ArrayLike<number>, values: ArrayLike<number>, units?: string): Slice {
  return { channel, chunkIndex, timestamps: Array.from(timestamps), values: Array.from(values), units, complete: true };
}

/** The items of an iterable, an async iterable or a ReadableStream (its lock released at the end). */
export async function* iterate<T>(source: Iterable<T> | AsyncIterable<T> | ReadableStream<T>): AsyncGenerator<T> {
  if (typeof (source as ReadableStream<T>).getReader === "function") {
    const reader = (source as ReadableStream<T>).getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        yield value;
      }
    } finally {
      reader.releaseLock();
    }
  }
  yield* source as Iterable<T> | AsyncIterable<T>;
}

/**
 * `run`'s items as `push` parameters: item i of `dataIter` is `[timestamps, values]` for chunk
 * `startChunkIndex + i`; an empty item leaves its chunk index empty (the platform rejects empty slices).
 */
export async function runChunks(params: RunParams, push: (p: PushParams) => Promise<void>): Promise<void> {
  checkChannel(params?.channelName);
  checkUnits(params.units);
  const start = params.startChunkIndex ?? 0;
  checkChunkIndex(start, "startChunkIndex");
  let i = 0;
  for await (const item of iterate(params.dataIter)) {
    if (!Array.isArray(item) || item.length !== 2) {
      throw new InvalidInputError(`dataIter item ${i}`, item, "must be a [timestamps, values] pair");
    }
    if (item[0]?.length !== 0 || item[1]?.length !== 0) {
      await push({ chunkIndex: start + i, channelName: params.channelName, timestamps: item[0], values: item[1], ...(params.units !== undefined ? { units: params.units } : {}) });
    }
    i++;
  }
}
