/**
 * A stream's statistics (StreamStats) from the counters the pieces keep: accepted and acked points
 * (progress.ts), the outbox's summary, the uploader's requests in flight, in doubt, retries and
 * verification, and the outbox's capacity and storage.
 */
import type { Outbox } from "../outbox/outbox.js";
import { platformId, type Uploader } from "../upload/uploader.js";
import type { Progress } from "./progress.js";
import type { StreamStats } from "./types.js";

export interface StatsSources {
  outbox: Outbox;
  uploader: Uploader;
  progress: Progress;
  /** Whether streams are read back before finalize. */
  verify: boolean;
  /** Pending slices of streams for another endpoint, left alone. */
  foreignSlices(): number;
}

/** `TimeseriesStreamer.stats` (see there). */
export function streamStats(dataId: string, { outbox, uploader, progress: counters, verify, foreignSlices }: StatsSources): StreamStats {
  const progress = counters.of(dataId);
  // Counted by the outbox as slices come and go: no record per pending slice here (the page and the CLI ask often).
  const summary = outbox.summary(dataId);
  const state = outbox.getStream(dataId);
  const record = uploader.verification(dataId);
  return {
    acceptedPoints: progress.acceptedPoints,
    ackedPoints: progress.ackedPoints,
    pendingSlices: summary.pendingSlices,
    pendingBytes: summary.pendingBytes,
    oldestPendingMs: summary.oldestPendingAt !== undefined ? Math.max(0, Date.now() - summary.oldestPendingAt) : 0,
    inFlight: uploader.inFlight(dataId),
    inDoubt: uploader.inDoubt(dataId),
    retries: uploader.retries(dataId),
    quarantined: summary.quarantinedSlices,
    corruptSlices: summary.corruptSlices,
    state: state?.phase ?? "unknown",
    platformDataId: state ? platformId(state, dataId) : undefined,
    initialize: state?.initializeError ? "refused" : state?.pendingInitialize ? "queued" : "done",
    verify: !verify ? "off" : record?.gaveUp ? "differs" : record?.agreed ? "agreed" : "pending",
    verifyRounds: record?.rounds ?? 0,
    resentSlices: record?.resent ?? 0,
    connection: uploader.state,
    droppedSlices: outbox.droppedSlices,
    foreignSlices: foreignSlices(),
    outboxBytes: outbox.usedBytes,
    outboxCapacityBytes: outbox.capacityBytes,
    storage: outbox.storageInfo(),
  };
}
