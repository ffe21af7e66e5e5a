/**
 * The events a TimeseriesStreamer dispatches, one detail type per event. The `error` event's detail is a
 * union discriminated by `kind` — one kind per place a failure comes from — so a listener switches on
 * `e.detail.kind` and reads that kind's fields without a cast.
 */
import type { ErrorClassification } from "../api/errors.js";
import type { DropRecord, QuarantineInfo, SliceMeta, StreamPhase } from "../outbox/outbox.js";
import type { SliceKey } from "../types.js";
import type { UploaderState } from "../upload/uploader.js";
import type { ChannelDifference } from "../upload/verify.js";
import type { FinalizeRefusedError, SampleLinkError } from "./errors.js";
import type { ForeignStream } from "./types.js";

/** A slice of the event's stream, by channel and chunk index. */
type ChannelChunk = Omit<SliceKey, "dataId">;

/** A request of slices failed. Transient: retried after `retryInMs`; auth: uploads pause; permanent: the slices are quarantined (event "quarantine"). */
export interface RequestErrorDetail {
  kind: "request";
  error: Error;
  dataId: string;
  classification: ErrorClassification;
  retryInMs?: number | undefined;
  /** The slices the request carried. */
  slices: ChannelChunk[];
}

/**
 * A stream started offline: sending its queued initialize failed. Transient: retried; auth: uploads pause;
 * permanent: the platform refused it (its slices stay in the outbox; `stats().initialize` is "refused").
 */
export interface InitializeErrorDetail {
  kind: "initialize";
  error: Error;
  dataId: string;
  classification: ErrorClassification;
  retryInMs?: number | undefined;
}

/** A stream started offline was created, but linking its physical sample or attaching its tags was refused; the stream goes on. */
export interface SampleLinkErrorDetail {
  kind: "sample-link";
  error: SampleLinkError;
  dataId: string;
  classification: "permanent";
}

/**
 * Verifying or finalizing a closing stream failed. Transient: retried; a refused finalize (permanent) is a
 * FinalizeRefusedError — the stream's data is on the platform, only the finalize was refused.
 */
export interface FinalizeErrorDetail {
  kind: "finalize";
  error: Error | FinalizeRefusedError;
  dataId: string;
  classification: ErrorClassification;
  retryInMs?: number | undefined;
}

/** The outbox could not read pending slices just now (an OutboxReadError): they stay pending and are read again after `retryInMs`. */
export interface OutboxReadErrorDetail {
  kind: "outbox-read";
  error: Error;
  dataId: string;
  classification: "transient";
  retryInMs?: number | undefined;
  slices: ChannelChunk[];
}

/**
 * The outbox refused a put: full with overflow "error" (OutboxFullError), or the browser's storage quota
 * (OutboxQuotaError; event "storage" follows both). The call that put them rejected too; `refused` names the keys.
 */
export interface OutboxRefusedErrorDetail {
  kind: "outbox-refused";
  error: Error;
  dataId: string;
  classification: "storage";
  refused: ChannelChunk[];
}

/** The outbox was full and dropped its oldest slices to make room (overflow "drop-oldest"): every drop by key. */
export interface OutboxDroppedErrorDetail {
  kind: "outbox-dropped";
  error: Error;
  dataId?: undefined;
  classification: "storage";
  dropped: DropRecord[];
}

/**
 * A put no caller waits for failed: a writable's partial slices after `maxLatencyMs` (or `sendOpen()`).
 * Their readings stay in the open chunks, which the writable's next put (or its close) carries again.
 */
export interface PartialPutErrorDetail {
  kind: "partial-put";
  error: Error;
  dataId: string;
  classification: "storage";
}

/**
 * Something failed: one `kind` per source. `classification` is the server's class for what a request met
 * (transient, auth, permanent), or `"storage"` for this machine's outbox.
 *
 * @example
 * streamer.addEventListener("error", (e) => {
 *   const d = e.detail;
 *   if (d.kind === "outbox-dropped") for (const r of d.dropped) console.warn(`dropped ${r.channel}#${r.chunkIndex}`);
 *   else if (d.kind === "request" && d.classification === "auth") askForANewKey();
 * });
 */
export type StreamerErrorDetail =
  | RequestErrorDetail
  | InitializeErrorDetail
  | SampleLinkErrorDetail
  | FinalizeErrorDetail
  | OutboxReadErrorDetail
  | OutboxRefusedErrorDetail
  | OutboxDroppedErrorDetail
  | PartialPutErrorDetail;

/** The events a TimeseriesStreamer dispatches (as CustomEvents), with their `detail`. */
export interface TimeseriesStreamerEventMap {
  progress: { dataId: string; ackedPoints: number; acceptedPoints: number; pendingSlices: number };
  /** Something failed; `detail.kind` says where (see StreamerErrorDetail). */
  error: StreamerErrorDetail;
  quarantine: { dataId: string; slices: Array<{ channel: string; chunkIndex: number; points: number } & Partial<QuarantineInfo>> };
  /** A stream's phase changed (open → closing → finalized). */
  state: { dataId: string; phase: StreamPhase };
  /** The uploader's connection changed (idle, sending, retrying, auth-paused, closed); also `stats().connection`. */
  connection: { connection: UploaderState };
  /** The outbox refused a put for lack of room: its capacity (`"full"`, overflow "error") or the browser's quota. */
  storage: { dataId: string; storage: "quota-exceeded" | "full" };
  /** The platform created a stream started offline: its id is known. */
  initialized: { dataId: string; platformDataId: string };
  /** The outbox set damaged slices aside: they are reported here, by key, and never sent. */
  corrupt: { dataId: string; slices: SliceMeta[] };
  /** A read-back was compared with what was sent. */
  verify: { dataId: string; rounds: number; resent: number; agreed: boolean; differing: ChannelDifference[]; gaveUp: boolean };
  /** The outbox holds pending data of another endpoint (left alone unless `adoptPending`). */
  foreign: { streams: ForeignStream[]; slices: number };
}

/** How the streamer's parts dispatch an event. */
export type Emit = <K extends keyof TimeseriesStreamerEventMap>(type: K, detail: TimeseriesStreamerEventMap[K]) => void;
