/** What an Uploader is given (its options and the events it tells), its states, and a stream's platform id. */
import type { ErrorClassification } from "../api/errors.js";
import type { AtomscaleClient } from "../api/client.js";
import type { Outbox, SliceMeta, StreamState } from "../outbox/outbox.js";
import type { VerifyRecord } from "./finalize.js";
import type { RetryOptions } from "./retry.js";

export type UploaderState = "idle" | "sending" | "retrying" | "auth-paused" | "closed";

export interface UploaderEvents {
  acked(dataId: string, slices: SliceMeta[]): void;
  failed(error: Error, info: { dataId?: string | undefined; slices: SliceMeta[]; classification: ErrorClassification; retryInMs?: number | undefined }): void;
  quarantined(dataId: string, slices: SliceMeta[]): void;
  finalized(state: StreamState): void;
  /** A read-back was compared with what was sent (`record` says how it went). */
  verified(dataId: string, record: VerifyRecord): void;
  state(state: UploaderState): void;
  /** Something finished: waiters re-check their condition. */
  settled(): void;
}

export interface UploaderOptions {
  /** The client a stream's requests go through (its endpoint, its path prefix). */
  clientFor(state: StreamState | undefined): AtomscaleClient;
  outbox: Outbox;
  /** Requests in flight at once. @default 4 */
  concurrency: number;
  retry: Required<RetryOptions>;
  /** Largest request body to build, in estimated bytes; bigger groups are split. @default 4 MiB */
  maxRequestBytes?: number;
  /** How long a key whose request's fate is unknown (timeout, lost connection) is held before it is sent again. */
  inDoubtMs: number;
  /** Read each closed stream back and compare before finalizing. */
  verify: boolean;
  /** Verify rounds (read back, re-send) before a persistent difference is reported. @default 3 */
  verifyAttempts?: number;
  /** Bytes of acked slices kept in memory for re-sending what a verify finds missing. @default 32 MiB */
  retainBytes?: number;
  /** A multi request failing transiently this many times in a row is split per channel. @default 3 */
  splitAfter?: number;
  /** Whether a stream belongs to this uploader's endpoint (others are left alone, and reported by the streamer). */
  ours(state: StreamState | undefined): boolean;
  /** Send a stream's queued initialize (and its sample link and tags); throws ApiErrors to retry. */
  initialize(state: StreamState): Promise<void>;
  events: UploaderEvents;
  random?: () => number;
}

/** The id a stream's requests use: the platform's, once known (undefined while its initialize is queued). */
export function platformId(state: StreamState | undefined, dataId: string): string | undefined {
  if (!state) return dataId;
  if (state.platformDataId !== undefined) return state.platformDataId;
  return state.pendingInitialize && !state.pendingInitialize.created ? undefined : state.dataId;
}
