/** The outbox's records and options (design §2): what a slice, a stream's state and a storage are. */
import type { SliceKey } from "../types.js";

export type StreamPhase = "open" | "closing" | "finalized";

/**
 * A stream's state. Outboxes persist it whole: fields they do not know (added by newer code) are kept.
 */
export interface StreamState {
  dataId: string;
  /** Fixed at initialize; 0 when unknown (a stream finalized by id only). */
  pointsPerChunk: number;
  /** The API this stream lives on. */
  endpoint: string;
  streamPrefix: "/metrology" | "/tool-state";
  /** Next chunk index per channel, for continuing the stream with `writable()`. Never goes backwards. */
  nextChunkIndex: Record<string, number>;
  phase: StreamPhase;
  /** Why the server refused to finalize, if it did (the stream is then not retried). */
  finalizeError?: QuarantineInfo | undefined;
  createdAt: number;
  updatedAt: number;
  /**
   * The platform's `data_id` once known. Equal to `dataId` for a stream initialized online; absent while
   * an initialize queued offline (`pendingInitialize`) has not gone through. Absent in records of older
   * versions: then `dataId` is the platform's id.
   */
  platformDataId?: string | undefined;
  /** An initialize (or the sample link and tags that follow it) still to send: the stream was started offline. */
  pendingInitialize?: QueuedInitialize | undefined;
  /** Why the server refused the queued initialize, if it did (the stream's slices then stay pending, reported). */
  initializeError?: QuarantineInfo | undefined;
  /**
   * What this stream's accepted slices hold, per channel, as runs `[fromChunk, toChunk, points]`
   * (chunks fromChunk … toChunk − 1 hold `points` points each): what a read-back must show before the
   * stream is finalized. Counts only, never the points.
   */
  ledger?: Array<[channel: string, runs: number[]]> | undefined;
}

/** The initialize of a stream started while the platform could not be reached, recorded until sent. */
export interface QueuedInitialize {
  pointsPerChunk: number;
  streamName: string | null;
  synthSourceId: number | null;
  projectId: string | null;
  /** A physical sample's name or UUID to link once the stream exists. */
  physicalSample: string | null;
  tags: string[];
  /** True once the stream exists on the platform (`platformDataId` set); the link and tags remain. */
  created: boolean;
}

export interface QuarantineInfo {
  status?: number | undefined;
  code: string;
  /** The server's `detail`. */
  detail: unknown;
  message: string;
  at: number;
}

/** What the outbox knows of a slice without reading its points. */
export interface SliceMeta extends SliceKey {
  version: number;
  points: number;
  bytes: number;
  complete: boolean;
  /** When this key was first accepted (ms epoch). */
  createdAt: number;
  quarantined?: QuarantineInfo | undefined;
}

export interface StoredSlice extends SliceMeta {
  timestamps: number[];
  values: number[];
  units?: string | undefined;
}

export interface NewSlice extends SliceKey {
  timestamps: number[];
  values: number[];
  units?: string | undefined;
  complete: boolean;
}

/** Why a slice was set aside as corrupt, and where it is kept. */
export interface CorruptInfo {
  /** What was wrong: "checksum" (the content does not match its checksum), "unparsable", "missing" (gone while pending), "invalid" (a record without its points, or points that do not fit). */
  reason: "checksum" | "unparsable" | "missing" | "invalid";
  message: string;
  /** Where the damaged record is kept (a file path, or the IndexedDB database), if anywhere. */
  keptAt?: string | undefined;
  at: number;
}

/** A slice the outbox could not read back and set aside: no longer pending, never acknowledged, kept. */
export interface CorruptSlice extends SliceMeta {
  corrupt: CorruptInfo;
}

export type OverflowPolicy = "wait" | "drop-oldest" | "error";

export interface OutboxOptions {
  /**
   * Byte budget for pending slices (an estimate: 16 bytes a point plus overhead).
   * @default 64 MiB for MemoryOutbox; for FileOutbox and IndexedDbOutbox a share of the free disk or of the origin's quota (see `defaultCapacityBytes`)
   */
  capacityBytes?: number;
  /** When full: `wait` (writers wait: backpressure), `drop-oldest` (evict, count, emit) or `error`. @default "wait" */
  overflow?: OverflowPolicy;
  /**
   * How long a finalized stream's state stays in the outbox before it is pruned (at the next open, or
   * within the hour in a long-lived process), so that the store does not grow with the number of runs.
   * A stream with slices still held (quarantined) is kept. @default 7 days (604 800 000 ms)
   */
  pruneFinalizedAfterMs?: number;
}

/** What a storage returns when it reads a slice's record. */
export type StorageRead = StoredSlice | undefined;

/** Storage primitives a concrete outbox provides. Called with the index already updated. */
export interface OutboxStorage {
  /** Load everything at start-up (durable outboxes); `corrupt` lists records found damaged and set aside. */
  load(): Promise<{ slices: SliceMeta[]; streams: StreamState[]; corrupt?: CorruptSlice[] }>;
  /** Write slices (replacing earlier versions of their keys) and, atomically with them, stream states. Durable on return. */
  write(slices: StoredSlice[], streams: StreamState[]): Promise<void>;
  /**
   * The stored record of this key, whatever its version; `undefined` when the store holds none.
   * Rejects with an OutboxReadError: transient (retry later) or CorruptSliceError (damaged).
   */
  read(meta: SliceMeta): Promise<StorageRead>;
  /**
   * `read` for several slices at once (one transaction), settled per slice in the order given.
   * Optional: without it, the outbox reads them one by one.
   */
  readMany?(metas: SliceMeta[]): Promise<Array<PromiseSettledResult<StorageRead>>>;
  delete(metas: SliceMeta[]): Promise<void>;
  /** Persist a changed meta (quarantine) without its points changing. */
  updateMeta(meta: SliceMeta): Promise<void>;
  /** Keep a damaged record aside (no longer pending, not deleted); returns where it is kept. Stores that cannot be damaged (memory) need none. */
  setAside?(slice: CorruptSlice): Promise<string | undefined>;
  writeStream(state: StreamState): Promise<void>;
  /** Remove finalized streams' state (stores that keep it). */
  deleteStreams?(dataIds: string[]): Promise<void>;
  close(): Promise<void>;
}

export interface DropRecord extends SliceKey {
  version: number;
  points: number;
}

/** What the outbox tells its listeners. */
export type OutboxEvent =
  | { type: "drop"; dropped: DropRecord[] }
  | { type: "space" }
  /** The outbox reached its capacity and writers wait (overflow "wait"); told once until they go on. */
  | { type: "full"; usedBytes: number; capacityBytes: number }
  | { type: "change" }
  | { type: "corrupt"; slices: SliceMeta[] };
