/** Rules over the streams' states an outbox keeps: the next chunk index never goes backwards; old finalized states are pruned. */
import type { SliceMeta, StreamState } from "./types.js";

/**
 * States whose next chunk index is not past every stored slice of theirs (a kill between a slice's
 * rename and its state's), repaired. Written back at open, so the repair outlives those slices.
 */
export function repairNextChunkIndex(streams: ReadonlyMap<string, StreamState>, stored: Iterable<SliceMeta>): StreamState[] {
  const repaired = new Map<string, StreamState>();
  for (const s of stored) {
    const st = repaired.get(s.dataId) ?? streams.get(s.dataId);
    if (st && (st.nextChunkIndex[s.channel] ?? 0) <= s.chunkIndex) {
      repaired.set(s.dataId, { ...st, nextChunkIndex: { ...st.nextChunkIndex, [s.channel]: s.chunkIndex + 1 } });
    }
  }
  return [...repaired.values()];
}

/** Finalized streams last changed at least `olderThanMs` before `now` that hold no slice any more. */
export function prunableStreams(streams: Iterable<StreamState>, holdsSlices: (dataId: string) => boolean, now: number, olderThanMs: number): string[] {
  const out: string[] = [];
  for (const st of streams) {
    if (st.phase === "finalized" && now - st.updatedAt >= olderThanMs && !holdsSlices(st.dataId)) out.push(st.dataId);
  }
  return out;
}
