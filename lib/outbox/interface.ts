/**
 * The `Outbox` interface (design §2): storage plus accounting for pending slices and each stream's
 * state. `TimeseriesStreamerOptions.outbox` takes any object that implements it; MemoryOutbox,
 * FileOutbox and IndexedDbOutbox do (through BaseOutbox, which a custom outbox may extend, or not).
 *
 * The scheduling of sends (freshness first, chunk groups, request sizes) is the uploader's
 * (lib/upload/schedule.ts); the outbox only keeps its slices in put order (`order`) and lets one
 * sender at a time `claim()` a slice.
 */
import type { SliceKey } from "../types.js";
import type { OutboxSummary } from "./ledger.js";
import type { CorruptSlice, NewSlice, OutboxEvent, OverflowPolicy, QuarantineInfo, SliceMeta, StoredSlice, StreamState } from "./types.js";

/** The outbox's pending and quarantined slices (metadata only) in put order, for the uploader's scans. */
export interface PendingOrder {
  /** Oldest put first. Consume it before the outbox changes (a scan may stop early if the index is compacted). */
  oldestFirst(): Iterable<SliceMeta>;
  /** Newest put first. Same caveat. */
  newestFirst(): Iterable<SliceMeta>;
  /** The slices of one chunk index of a stream (every channel's), in put order. */
  chunk(dataId: string, chunkIndex: number): SliceMeta[];
}

/**
 * Slices claimed for sending: nobody else sharing the outbox (another uploader in this process, another
 * tab on the same database) claims them until `release()` is called. `claimed` may be fewer than asked
 * for: the rest is claimed by someone else.
 */
export interface Claim {
  readonly claimed: SliceMeta[];
  /**
   * Give the slices back (idempotent). Call it on every path: after the ack, after a failure. With
   * `sharedAfterMs`, this process may pick them again at once but other writers sharing the store (tabs)
   * only after that long: a request whose fate is unknown may still land, and another tab's send of the
   * key must not race it.
   */
  release(sharedAfterMs?: number): void;
}

/** Storage usage, quota and persistence where the platform reports them (browsers). */
export interface StorageInfo {
  usage?: number;
  quota?: number;
  persisted?: boolean;
}

export interface Outbox {
  /** "memory", "file", "indexeddb", or a custom outbox's word. */
  readonly kind: string;
  /** True when pending slices survive a restart of the process. */
  readonly durable: boolean;
  readonly overflow: OverflowPolicy;
  /** The byte budget for pending slices. */
  readonly capacityBytes: number;
  readonly usedBytes: number;
  readonly droppedSlices: number;
  readonly droppedPoints: number;

  /** Load what a previous run left (idempotent). */
  open(): Promise<void>;
  /** Listen to drops, corrupt slices, "full", "space" and "change"; returns the unsubscribe. */
  on(listener: (event: OutboxEvent) => void): () => void;
  /** True when `bytes` more would not fit. */
  full(bytes?: number): boolean;
  /** Resolves when there is room for `bytes` more (at once unless the policy is "wait"). */
  waitForSpace(bytes?: number): Promise<void>;

  /** Store slices durably (superseding older versions of their keys), with stream states in the same write. */
  put(slices: NewSlice[], streams?: StreamState[]): Promise<SliceMeta[]>;
  /**
   * A slice's points at its current version; `undefined` when no longer pending. Rejects with an
   * OutboxReadError (`transient`: read again later) or a CorruptSliceError (set aside, reported).
   */
  read(key: SliceKey): Promise<StoredSlice | undefined>;
  /** `read` for one request's slices at once (one storage transaction where the medium has them). */
  readAll(keys: SliceKey[]): Promise<Array<PromiseSettledResult<StoredSlice | undefined>>>;
  get(key: SliceKey): SliceMeta | undefined;
  /** Pending and quarantined slices (metadata only), optionally of one stream, in put order. */
  slices(dataId?: string): SliceMeta[];
  corruptSlices(dataId?: string): CorruptSlice[];
  summary(dataId: string): OutboxSummary;
  /** Slices of this stream waiting to be sent (quarantined ones excepted). */
  pendingCount(dataId: string): number;
  /** The slices in put order, for the uploader's scheduling (lib/upload/schedule.ts). */
  readonly order: PendingOrder;

  /**
   * Claim slices for sending. Keys are claimed in this process at the call (before it resolves), so
   * `isClaimed` is true at once; outboxes shared with other processes or tabs also claim them there
   * (IndexedDbOutbox: one Web Lock per request). A claimed slice is never evicted by "drop-oldest".
   */
  claim(metas: SliceMeta[]): Promise<Claim>;
  isClaimed(key: SliceKey): boolean;
  /** Slices claimed right now in this process, of one stream or all. */
  claimedCount(dataId?: string): number;

  /** The server has this version: delete it, unless a newer version arrived meanwhile. */
  ack(key: SliceKey, version: number): Promise<boolean>;
  ackAll(acks: ReadonlyArray<SliceKey & { version: number }>): Promise<boolean[]>;
  /** Remove slices whatever their version. */
  remove(keys: SliceKey[]): Promise<SliceMeta[]>;
  /** Keep this version aside with the server's reason: never retried, never silently deleted. */
  quarantine(key: SliceKey, version: number, info: QuarantineInfo): Promise<SliceMeta | undefined>;

  getStream(dataId: string): StreamState | undefined;
  streams(): StreamState[];
  putStream(state: StreamState): Promise<void>;
  /** Remove finalized streams' state that is old enough; returns the streams removed. */
  pruneFinalized(): Promise<string[]>;
  storageInfo(): StorageInfo | undefined;
  close(): Promise<void>;
}
