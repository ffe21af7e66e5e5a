/** Rules over the streams' states an outbox keeps: the next chunk index never goes backwards; old finalized states are pruned. */
import { Ledger } from "../upload/ledger.js";
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

/**
 * States whose ledger (what the read-back before finalize must show) misses a pending slice's count — the
 * same kill between the two renames: the slice was accepted, its state not yet written. A pending slice
 * is the newest accepted version of its key, so its count is the one the server must end up holding.
 */
export function repairLedgers(streams: ReadonlyMap<string, StreamState>, pending: Iterable<SliceMeta>): StreamState[] {
  const ledgers = new Map<string, { state: StreamState; ledger: Ledger; changed: boolean }>();
  for (const s of pending) {
    const st = streams.get(s.dataId);
    if (!st?.ledger) continue; // no ledger (a state from before ledgers): nothing to keep consistent
    let entry = ledgers.get(s.dataId);
    if (!entry) ledgers.set(s.dataId, (entry = { state: st, ledger: Ledger.from(st.ledger), changed: false }));
    if (entry.ledger.points(s.channel, s.chunkIndex) !== s.points) {
      entry.ledger.set(s.channel, s.chunkIndex, s.points);
      entry.changed = true;
    }
  }
  return [...ledgers.values()].filter((e) => e.changed).map((e) => ({ ...e.state, ledger: e.ledger.toStored() }));
}

/** Finalized streams last changed at least `olderThanMs` before `now` that hold no slice any more. */
export function prunableStreams(streams: Iterable<StreamState>, holdsSlices: (dataId: string) => boolean, now: number, olderThanMs: number): string[] {
  const out: string[] = [];
  for (const st of streams) {
    if (st.phase === "finalized" && now - st.updatedAt >= olderThanMs && !holdsSlices(st.dataId)) out.push(st.dataId);
  }
  return out;
}
