/**
 * The streams' states an outbox keeps (StreamStates, BaseOutbox's), and the rules over them: the next
 * chunk index never goes backwards, the ledger counts every pending slice, old finalized states are pruned.
 */
import { Ledger } from "../upload/ledger.js";
import type { OutboxStorage, SliceMeta, StreamState } from "./types.js";

/** A stream finalized (or changed) this recently is never pruned: callers still read its state. */
const PRUNE_GRACE_MS = 60_000;
/** How often, at most, pruning runs in a long-lived process (it runs at every open too). */
const PRUNE_INTERVAL_MS = 3600 * 1000;

/** What StreamStates needs of its outbox. */
export interface StreamStatesHost {
  storage(): OutboxStorage;
  /** True while the outbox holds a slice of this stream (its state is then never pruned). */
  holdsSlices(dataId: string): boolean;
  pruneFinalizedAfterMs(): number;
}

/** Each stream's state, in memory and in the outbox's storage; pruned some time after it is finalized. */
export class StreamStates {
  readonly #host: StreamStatesHost;
  readonly #states = new Map<string, StreamState>();
  #prunedAt = 0;

  constructor(host: StreamStatesHost) {
    this.#host = host;
  }

  get(dataId: string): StreamState | undefined {
    return this.#states.get(dataId);
  }

  all(): StreamState[] {
    return [...this.#states.values()];
  }

  /** Hold a state already written (with a put's slices). */
  set(state: StreamState): void {
    this.#states.set(state.dataId, state);
  }

  /**
   * At open: the states a previous run left, repaired against the slices it left (`stored`: pending and
   * corrupt; `pending`), then pruned.
   */
  async load(states: StreamState[], stored: SliceMeta[], pending: SliceMeta[]): Promise<void> {
    for (const st of states) this.#states.set(st.dataId, st);
    await this.#repair(stored, pending);
    await this.#prune(Date.now());
  }

  /**
   * A crash between a slice's write and its stream's state (two renames) leaves the state behind: the
   * next chunk index is at least past every stored slice, and the repaired state is written back at
   * once — so it holds even after those slices are acked and deleted, in this process or the next.
   */
  async #repair(stored: SliceMeta[], pending: SliceMeta[]): Promise<void> {
    for (const st of repairNextChunkIndex(this.#states, stored)) {
      await this.#host.storage().writeStream(st);
      this.#states.set(st.dataId, st);
    }
    // The same tear leaves the stream's ledger without the slice's count: verify would then read the
    // server's copy of it as a difference (or shift every offset after it).
    for (const st of repairLedgers(this.#states, pending)) {
      await this.#host.storage().writeStream(st);
      this.#states.set(st.dataId, st);
    }
  }

  /** Write a state (whole) and hold it; prunes old finalized streams at most hourly. */
  async write(state: StreamState): Promise<void> {
    await this.#host.storage().writeStream(state);
    this.#states.set(state.dataId, state);
    const now = Date.now();
    if (now - this.#prunedAt >= PRUNE_INTERVAL_MS) await this.#prune(now, PRUNE_GRACE_MS);
  }

  /** Prune now (past the grace period); returns the streams removed. */
  async pruneNow(): Promise<string[]> {
    const before = new Set(this.#states.keys());
    await this.#prune(Date.now(), PRUNE_GRACE_MS);
    return [...before].filter((id) => !this.#states.has(id));
  }

  /** Remove finalized streams' state once `pruneFinalizedAfterMs` has passed (never one with slices left). */
  async #prune(now: number, minAgeMs = 0): Promise<void> {
    this.#prunedAt = now;
    const old = prunableStreams(this.#states.values(), (id) => this.#host.holdsSlices(id), now, Math.max(this.#host.pruneFinalizedAfterMs(), minAgeMs));
    if (old.length === 0) return;
    await this.#host.storage().deleteStreams?.(old);
    for (const id of old) this.#states.delete(id);
  }
}

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
