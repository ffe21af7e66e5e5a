/** The TimeseriesStreamer's options, parameters and results (its events: events.ts). */
import type { StreamPrefix } from "../api/client.js";
import type { Outbox, SliceMeta, StoredSlice, StreamPhase } from "../outbox/outbox.js";
import type { RetryOptions } from "../upload/retry.js";
import type { UploaderState } from "../upload/uploader.js";

export type Verbosity = 0 | 1 | 2 | 3 | 4;

export interface TimeseriesStreamerOptions {
  /** Sent as X-API-KEY. */
  apiKey: string;
  /** @default "https://api.atomscale.ai" */
  endpoint?: string;
  /** Points per chunk, sent at initialize and fixed per stream. @default 100 */
  pointsPerChunk?: number;
  /** 0 off, 1 errors, 2 info, 3 debug, 4 trace (detailed progress). @default 0 */
  verbosity?: Verbosity;
  /** Where pending slices wait. @default new MemoryOutbox() */
  outbox?: Outbox;
  /** Requests in flight at once. @default 4 */
  concurrency?: number;
  /** Backoff and Retry-After caps; `baseDelayMs` is also the least wait before any retry. */
  retry?: RetryOptions;
  /** A fetch to use instead of the global one. */
  fetch?: typeof fetch;
  /**
   * Force the stream endpoints' path prefix. By default a stream is created on `/tool-state` and, when
   * the platform answers 404 or 405 there, on `/metrology`; the prefix is remembered per stream.
   * @default undefined (try "/tool-state", then "/metrology")
   */
  streamPrefix?: StreamPrefix;
  /** Per-request timeout. @default 30000 */
  timeoutMs?: number;
  /**
   * How long `initialize()` waits for the platform before it queues the initialize in the outbox and
   * returns a local stream id (`local-<uuid>`). Refused keys and refused requests still reject.
   * @default 5000
   */
  initializeTimeoutMs?: number;
  /**
   * How long a slice whose request's fate is unknown (a timeout, a lost connection) is held before a
   * newer version of it may be sent, so an old request delivered late cannot overwrite newer data.
   * @default the request timeout, at most 10000
   */
  inDoubtMs?: number;
  /**
   * Before finalizing, read the stream back and compare the points per channel (and, for the slices
   * still held, their values at their positions) with what was sent; re-send what differs. Turn off
   * for very large streams (the read-back reads the whole stream).
   * @default true
   */
  verify?: boolean;
  /**
   * Send the pending slices and streams this outbox holds for another endpoint to this one. Otherwise
   * they are left alone and reported (event "foreign", `stats().foreignSlices`).
   * @default false
   */
  adoptPending?: boolean;
  /** Where log lines go. @default console */
  logger?: (level: "error" | "info" | "debug" | "trace", message: string) => void;
}

export interface InitializeOptions {
  streamName?: string;
  /** A physical sample's name (matched case-insensitively, created if missing) or UUID (must exist). */
  physicalSample?: string;
  /** Growth instrument id (`client.listGrowthInstruments()`). */
  synthSourceId?: number;
  /** Project UUID; with a physical sample, the sample is tracked in the project. */
  projectId?: string;
  /** Tag names (found case-insensitively or created) or tag UUIDs to attach to the stream. */
  tags?: string[];
}

export interface PushParams {
  chunkIndex: number;
  channelName: string;
  timestamps: ArrayLike<number>;
  values: ArrayLike<number>;
  units?: string;
}

export type ChannelPointsInput = { timestamps: ArrayLike<number>; values: ArrayLike<number>; units?: string };

export interface PushMultiParams {
  chunkIndex: number;
  /** Channel name → points. A `Map` takes any name as is; empty channels are left out. */
  channels: Record<string, ChannelPointsInput> | ReadonlyMap<string, ChannelPointsInput>;
}

export type ChunkSource =
  | Iterable<readonly [ArrayLike<number>, ArrayLike<number>]>
  | AsyncIterable<readonly [ArrayLike<number>, ArrayLike<number>]>
  | ReadableStream<readonly [ArrayLike<number>, ArrayLike<number>]>;

export interface RunParams {
  channelName: string;
  dataIter: ChunkSource;
  units?: string;
  /** Chunk index of the first item. @default 0 */
  startChunkIndex?: number;
  /** Wait until the server has everything before resolving. @default true */
  flush?: boolean;
}

export interface FinalizeOptions {
  /** How long to wait for pending slices (and the verify) before deferring the finalize. @default 30000 */
  timeoutMs?: number;
  /** Finalize now; return the slices not yet sent (removed from the outbox). @default false */
  force?: boolean;
}

/** A slice the read-back showed not to be on the server as sent, and that could not be repaired. */
export interface UnverifiedSlice {
  dataId: string;
  channel: string;
  /** The first chunk of the channel that is not where it belongs. */
  chunkIndex: number;
  expectedPoints: number;
  serverPoints: number;
}

export interface FinalizeResult {
  /**
   * "finalized"; "deferred": slices are still pending, the finalize completes by itself once they are
   * acked; "unverified": the read-back kept disagreeing with what was sent (see `unverified`), the
   * stream is not finalized.
   */
  status: "finalized" | "deferred" | "unverified";
  /** Slices not on the server: pending ones when deferred (metadata), or with their points when forced. */
  unsent: Array<SliceMeta | StoredSlice>;
  /** Slices the server refused, with its reasons. */
  quarantined: SliceMeta[];
  /** Slices the outbox could not read back (damaged storage), set aside. A clean finish has none. */
  corrupt: SliceMeta[];
  /** Channels whose read-back differs from what was sent, by first differing chunk. */
  unverified: UnverifiedSlice[];
}

export interface StreamStats {
  acceptedPoints: number;
  ackedPoints: number;
  pendingSlices: number;
  pendingBytes: number;
  /** Age of the oldest pending slice, ms (0 when none). */
  oldestPendingMs: number;
  inFlight: number;
  /** Slices held because their last request's fate is unknown (see `inDoubtMs`). */
  inDoubt: number;
  retries: number;
  quarantined: number;
  /** Slices set aside as damaged by the outbox. */
  corruptSlices: number;
  /** The stream's phase, or "unknown" if this streamer has no record of it. */
  state: StreamPhase | "unknown";
  /** The platform's data id: undefined while an initialize queued offline has not gone through. */
  platformDataId: string | undefined;
  /** "queued": the stream was started offline and the platform has not taken its initialize (or link) yet. */
  initialize: "done" | "queued" | "refused";
  /** Read-back verification: "off", "pending" (not yet), "agreed", or "differs" (reported, not finalized). */
  verify: "off" | "pending" | "agreed" | "differs";
  /** Read-backs compared, and slices sent again because one differed. */
  verifyRounds: number;
  resentSlices: number;
  /** The uploader's connection state. */
  connection: UploaderState;
  /** Slices dropped by an outbox with overflow "drop-oldest" (all streams). */
  droppedSlices: number;
  /** Pending slices (all streams) that belong to another endpoint and are left alone (see `adoptPending`). */
  foreignSlices: number;
  /** Bytes the outbox holds (all streams) and its capacity. */
  outboxBytes: number;
  outboxCapacityBytes: number;
  /** Browser storage usage, quota and persistence (IndexedDbOutbox), when known. */
  storage?: { usage?: number; quota?: number; persisted?: boolean } | undefined;
}

/** A stream of the outbox that belongs to another endpoint. */
export interface ForeignStream {
  dataId: string;
  endpoint: string;
  phase: StreamPhase;
  pendingSlices: number;
  /** Why it is not this streamer's, in words. */
  reason: string;
}
