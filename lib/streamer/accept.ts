/**
 * Accepting and state writes: how the streamer puts slices in the outbox with their stream's state, and
 * writes that state. One place keeps what every write of a stream carries — its platform identity as
 * this streamer changed it, its writable's open chunks (open-chunks.ts) and its ledger (for the read-back
 * before finalize) — so no write on its way can undo another.
 */
import type { AtomscaleClient } from "../api/client.js";
import type { NewSlice, Outbox, StreamState } from "../outbox/outbox.js";
import { channelRecord, ownEntry, type Slice } from "../types.js";
import { Ledger } from "../upload/ledger.js";
import { asError, StreamClosedError } from "./errors.js";
import { toRecover, type StateWithOpenChunks } from "./open-chunks.js";
import type { Progress } from "./progress.js";
import type { Emit } from "./events.js";

/** The fields of a stream's state that say who it is on the platform. */
const IDENTITY = ["platformDataId", "streamPrefix", "pendingInitialize", "initializeError"] as const;

export interface StreamWritesOptions {
  outbox: Outbox;
  /** The streamer's client: new stream states record its endpoint and path prefix. */
  client: AtomscaleClient;
  /** Keep a ledger of each stream in its state (for the read-back before finalize). */
  verify: boolean;
  progress: Progress;
  closed(): boolean;
  /** A function message is called only when its level is logged. */
  log(level: "error" | "info" | "debug" | "trace", message: string | (() => string)): void;
  emit: Emit;
}

/** The streamer's writes to the outbox: accepted slices with their stream's state, and state changes. */
export class StreamWrites {
  readonly #o: StreamWritesOptions;
  readonly #ledgers = new Map<string, Ledger>();
  /** The platform identity of streams whose state this streamer changed (see writeState). */
  readonly #identity = new Map<string, Partial<StreamState>>();
  /** The open chunks of each stream's writable as last put (see open-chunks.ts); undefined: none. */
  readonly #openChunks = new Map<string, Slice[] | undefined>();

  /** The outbox refusals already reported as events (so a writable's timer put is not reported twice). */
  readonly #reported = new WeakSet<object>();

  constructor(options: StreamWritesOptions) {
    this.#o = options;
  }

  /** True when accept() has already reported this rejection in an "error" event. */
  reported(error: unknown): boolean {
    return typeof error === "object" && error !== null && this.#reported.has(error);
  }

  /** A dropped slice: the read-back before finalize expects none of its points. */
  dropped(dataId: string, channel: string, chunkIndex: number): void {
    this.#ledgers.get(dataId)?.set(channel, chunkIndex, 0);
  }

  /** The state of a stream open for slices; throws StreamClosedError once it is closing or finalized. */
  openState(dataId: string): StreamState {
    const state = this.#o.outbox.getStream(dataId);
    if (state && state.phase !== "open") throw new StreamClosedError(dataId, state.phase);
    if (state) return state;
    // A stream initialized elsewhere (another process, the Python SDK): record it, points per chunk unknown.
    return this.newState(dataId, 0);
  }

  /** The record of an open stream on this streamer's API (`pointsPerChunk` 0: not known here). */
  newState(dataId: string, pointsPerChunk: number): StreamState {
    const now = Date.now();
    return {
      dataId,
      pointsPerChunk,
      endpoint: this.#o.client.endpoint,
      streamPrefix: this.#o.client.streamPrefix,
      nextChunkIndex: channelRecord<number>(),
      phase: "open",
      createdAt: now,
      updatedAt: now,
      platformDataId: dataId,
    };
  }

  #ledgerFor(dataId: string): Ledger {
    let ledger = this.#ledgers.get(dataId);
    if (!ledger) this.#ledgers.set(dataId, (ledger = Ledger.from(this.#o.outbox.getStream(dataId)?.ledger)));
    return ledger;
  }

  /**
   * Write a stream's state with changes, from its current record, with its ledger. Changes to the stream's
   * identity on the platform are also kept in memory at once, so a write of the stream's slices already
   * on its way (which carries the state it saw) cannot undo them.
   */
  writeState(dataId: string, changes: Partial<StreamState>): Promise<void> {
    const identity: Partial<StreamState> = { ...this.#identity.get(dataId) };
    for (const key of IDENTITY) if (key in changes) Object.assign(identity, { [key]: changes[key] });
    this.#identity.set(dataId, identity);
    const current = this.#o.outbox.getStream(dataId) ?? this.newState(dataId, 0);
    const next: StateWithOpenChunks = { ...current, ...identity, ...changes, updatedAt: Date.now() };
    // A put of the stream's open chunks may be on its way: the newest of them, never an older copy.
    if (this.#openChunks.has(dataId)) next.openChunks = this.#openChunks.get(dataId);
    if (this.#o.verify) next.ledger = this.#ledgerFor(dataId).toStored();
    return this.#o.outbox.putStream(next);
  }

  /** Put slices in the outbox with the stream's state. Starts the put synchronously (ordering of versions). */
  accept(dataId: string, slices: Slice[], nextChunkIndex?: Record<string, number>, open?: Slice[]): Promise<void> {
    const { outbox } = this.#o;
    if (this.#o.closed()) return Promise.reject(new Error("This TimeseriesStreamer is closed."));
    // Open chunks are kept only where they outlive the process; a MemoryOutbox would hold them in memory twice.
    if (open !== undefined && outbox.durable) this.#openChunks.set(dataId, open.length > 0 ? open : undefined);
    else if (slices.length === 0) return Promise.resolve();
    const state = outbox.getStream(dataId) ?? this.openState(dataId);
    if (state.phase !== "open") return Promise.reject(new StreamClosedError(dataId, state.phase));
    const next = channelRecord<number>(Object.entries(state.nextChunkIndex));
    for (const s of slices) next[s.channel] = Math.max(ownEntry(next, s.channel) ?? 0, s.chunkIndex + 1);
    if (nextChunkIndex) for (const [ch, n] of Object.entries(nextChunkIndex)) next[ch] = Math.max(ownEntry(next, ch) ?? 0, n);
    const records: NewSlice[] = slices.map((s) => ({ dataId, ...s }));
    const written: StateWithOpenChunks = { ...state, ...this.#identity.get(dataId), nextChunkIndex: next, updatedAt: Date.now() };
    if (this.#openChunks.has(dataId)) written.openChunks = this.#openChunks.get(dataId);
    if (this.#o.verify) {
      const ledger = this.#ledgerFor(dataId);
      for (const s of slices) ledger.set(s.channel, s.chunkIndex, s.values.length);
      written.ledger = ledger.toStored();
    }
    return outbox.put(records, [written]).then(
      () => this.#accepted(dataId, slices),
      (error: unknown) => {
        // The outbox refused (full with overflow "error", or the browser's storage quota): say so loudly.
        // (The ledger keeps the refused keys: the caller was told, and a retry of the same call puts them again.)
        const code = (error as { code?: string })?.code;
        this.#o.log("error", `the outbox refused ${slices.length} slice(s) of ${dataId}: ${(error as Error)?.message}`);
        this.#o.emit("error", { kind: "outbox-refused", error: asError(error), dataId, classification: "storage", refused: slices.map(({ channel, chunkIndex }) => ({ channel, chunkIndex })) });
        if (typeof error === "object" && error !== null) this.#reported.add(error);
        if (code === "outbox_quota" || code === "outbox_full") this.#o.emit("storage", { dataId, storage: code === "outbox_quota" ? "quota-exceeded" : "full" });
        throw error;
      },
    );
  }

  /**
   * Put the open chunks a previous process left in stream states (its writes had resolved) as short
   * slices. A failure is reported by accept and leaves them in the state for the next start.
   */
  async recoverOpenChunks(): Promise<void> {
    for (const state of this.#o.outbox.streams()) {
      const slices = toRecover(this.#o.outbox, state);
      if ((state as StateWithOpenChunks).openChunks === undefined) continue;
      if (state.phase !== "open") {
        if (slices.length > 0) {
          this.#o.log("error", `stream ${state.dataId} is ${state.phase} but its state holds ${slices.length} open chunk(s) a previous run left: ${slices.map((s) => `${s.channel}#${s.chunkIndex}(${s.values.length})`).join(" ")}; they stay in the outbox's state, not sent`);
        }
        continue;
      }
      if (slices.length > 0) this.#o.log("info", `recovering ${slices.length} open chunk(s) of ${state.dataId} left by a previous run`);
      // Put with no open chunks: the state forgets them in the same write (also those already covered).
      await this.accept(state.dataId, slices, undefined, []).catch(() => {}); // reported by accept
    }
  }

  #accepted(dataId: string, slices: Slice[]): void {
    this.#o.progress.accepted(dataId, slices);
    this.#o.log("trace", () => `accepted ${slices.map((s) => `${s.channel}#${s.chunkIndex}(${s.values.length})`).join(" ")} into ${dataId}`);
  }
}
