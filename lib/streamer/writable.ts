/**
 * The streamer's `writable()`: an UploadStream of one stream wired to the streamer — its puts go through
 * the streamer's accepting (accept.ts), `close()` finalizes, and over a non-durable outbox (MemoryOutbox)
 * `close()` waits for everything to be on the server or names what is not (UnsentDataError).
 */
import { checkDataId, InvalidInputError } from "../input.js";
import type { Outbox } from "../outbox/outbox.js";
import { UploadStream, type UploadStreamOptions } from "../streams/upload-stream.js";
import type { Slice } from "../types.js";
import { StreamClosedError, UnsentDataError } from "./errors.js";
import { unsentOf } from "./finalize.js";
import type { FinalizeOptions, FinalizeResult, TimeseriesStreamerEventMap } from "./types.js";

/** What a writable needs of its streamer. */
export interface WritableHost {
  readonly outbox: Outbox;
  readonly ready: Promise<void>;
  readonly pointsPerChunk: number;
  /** The writable open on each stream (one at a time). */
  readonly writables: Map<string, UploadStream>;
  accept(dataId: string, slices: Slice[], nextChunkIndex?: Record<string, number>, open?: Slice[]): Promise<void>;
  finalize(dataId: string, options: FinalizeOptions): Promise<FinalizeResult>;
  /** Nothing of the stream pending or in flight. */
  drained(dataId: string): boolean;
  until(ready: () => boolean, signal?: AbortSignal, timeoutMs?: number): Promise<boolean>;
  emit<K extends keyof TimeseriesStreamerEventMap>(type: K, detail: TimeseriesStreamerEventMap[K]): void;
}

/** `TimeseriesStreamer.writable` (see there). */
export function openWritable(host: WritableHost, dataId: string, options: UploadStreamOptions): UploadStream {
  checkDataId(dataId);
  if (host.writables.has(dataId)) {
    throw new InvalidInputError("dataId", dataId, "already has an open writable(); close or abort it before opening another");
  }
  const state = host.outbox.getStream(dataId);
  if (state && state.phase !== "open") throw new StreamClosedError(dataId, state.phase);
  const writable = new UploadStream(
    {
      dataId,
      pointsPerChunk: state?.pointsPerChunk || host.pointsPerChunk,
      startChunkIndex: state?.nextChunkIndex ?? {},
      keepsOpenChunks: host.outbox.durable,
      waitForSpace: async () => {
        await host.ready;
        await host.outbox.waitForSpace();
      },
      accept: (slices, next, open) => host.accept(dataId, slices, next, open),
      report: (error) => host.emit("error", { error, dataId, classification: "storage" }),
      finalize: async (timeoutMs) => {
        const result = await host.finalize(dataId, timeoutMs === undefined ? {} : { timeoutMs });
        if (host.outbox.durable) return;
        const unsent = unsentOf(dataId, result, true);
        if (result.status !== "finalized" || unsent.length > 0) throw new UnsentDataError(dataId, unsent);
      },
      drain: async (timeoutMs) => {
        if (host.outbox.durable) return;
        await host.ready;
        const drained = await host.until(() => host.drained(dataId), undefined, timeoutMs ?? 30_000);
        const unsent = host.outbox.slices(dataId).filter((s) => !s.quarantined);
        if (!drained && unsent.length > 0) {
          throw new UnsentDataError(dataId, unsent.map((s) => ({ dataId, channel: s.channel, chunkIndex: s.chunkIndex, points: s.points, reason: "pending" as const })));
        }
      },
      detach: () => {
        if (host.writables.get(dataId) === writable) host.writables.delete(dataId);
      },
    },
    options,
  );
  host.writables.set(dataId, writable);
  return writable;
}
