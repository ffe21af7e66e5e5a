/**
 * Open chunks kept in the stream's state: how a writable's `write()` is durable before its chunk fills.
 *
 * Each write's put (in the same outbox write as any slices the write completed) records the writable's
 * open chunks — every point not yet in a slice — in the stream's state, as `openChunks`. The uploader
 * never sees them, so partial slices still leave only after `maxLatencyMs` and nothing extra is sent.
 * When a process ends without sealing them (a reload, a closed tab, a crash), the next streamer on the
 * same outbox puts them as short slices at their own chunk index (`nextChunkIndex` already counts them,
 * so a continuation starts after them), unless the outbox holds a slice of that key with at least as
 * many points (a kill between a FileOutbox's renames can leave the slice newer than the state).
 */
import type { Outbox, StreamState } from "../outbox/outbox.js";
import type { Slice } from "../types.js";

/** A stream state as the streamer writes it: with the open chunks of its writable, if any. */
export type StateWithOpenChunks = StreamState & { openChunks?: Slice[] | undefined };

/** The open chunks a previous process left in this stream's state. */
export function openChunksOf(state: StreamState): Slice[] {
  const open = (state as StateWithOpenChunks).openChunks;
  return Array.isArray(open) ? open : [];
}

/**
 * The left-over open chunks of a stream that are not already in the outbox as a slice of their key with
 * at least as many points: to be put as short slices (`complete: false`).
 */
export function toRecover(outbox: Outbox, state: StreamState): Slice[] {
  const out: Slice[] = [];
  for (const s of openChunksOf(state)) {
    if (!Array.isArray(s?.values) || !Array.isArray(s.timestamps) || s.values.length === 0) continue;
    const stored = outbox.get({ dataId: state.dataId, channel: s.channel, chunkIndex: s.chunkIndex });
    if (stored && stored.points >= s.values.length) continue;
    out.push({ channel: s.channel, chunkIndex: s.chunkIndex, timestamps: s.timestamps, values: s.values, units: s.units, complete: false });
  }
  return out;
}
