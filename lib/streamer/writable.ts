/**
 * The streamer's `writable()`: an UploadStream of one stream wired to the streamer — its puts go through
 * the streamer's accepting (accept.ts), `close()` finalizes, and over a non-durable outbox (MemoryOutbox)
 * `close()` waits for everything to be on the server or names what is not (UnsentDataError).
 */
import { checkDataId, InvalidInputError } from "../input.js";
import type { Outbox } from "../outbox/outbox.js";
import { UploadStream, type UploadStreamOptions } from "../streams/upload-stream.js";
import type { StreamWrites } from "./accept.js";
import type { Waiters } from "./waiters.js";
import { asError, StreamClosedError, UnsentDataError } from "./errors.js";
import { unsentOf } from "./finalize.js";
import type { Emit } from "./events.js";
import type { FinalizeOptions, FinalizeResult } from "./types.js";

/** What a writable needs of its streamer. */
export interface WritableHost {
  readonly outbox: Outbox;
  readonly ready: Promise<void>;
  readonly pointsPerChunk: number;
  /** The writable last opened on each stream; one that is `sealed` takes no more readings and counts as closed. */
  readonly writables: Map<string, UploadStream>;
  /** Accepting slices (and the open chunks) into the outbox; whether a refusal was reported already. */
  readonly writes: Pick<StreamWrites, "accept" | "reported">;
  finalize(dataId: string, options: FinalizeOptions): Promise<FinalizeResult>;
  /** Nothing of the stream pending or in flight. */
  drained(dataId: string): boolean;
  readonly waiters: Pick<Waiters, "until">;
  emit: Emit;
}

/** `TimeseriesStreamer.writable` (see there). */
export function openWritable(host: WritableHost, dataId: string, options: UploadStreamOptions): UploadStream {
  checkDataId(dataId);
  for (const [id, w] of host.writables) if (w.sealed) host.writables.delete(id);
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
      accept: (slices, next, open) => host.writes.accept(dataId, slices, next, open),
      report: (error) => {
        if (!host.writes.reported(error)) host.emit("error", { kind: "partial-put", error: asError(error), dataId, classification: "storage" });
      },
      finalize: async (timeoutMs) => {
        const result = await host.finalize(dataId, timeoutMs === undefined ? {} : { timeoutMs });
        if (host.outbox.durable) return;
        const unsent = unsentOf(dataId, result, true);
        if (result.status !== "finalized" || unsent.length > 0) throw new UnsentDataError(dataId, unsent);
      },
      drain: async (timeoutMs) => {
        if (host.outbox.durable) return;
        await host.ready;
        const drained = await host.waiters.until(() => host.drained(dataId), undefined, timeoutMs ?? 30_000);
        const unsent = host.outbox.slices(dataId).filter((s) => !s.quarantined);
        if (!drained && unsent.length > 0) {
          throw new UnsentDataError(dataId, unsent.map((s) => ({ dataId, channel: s.channel, chunkIndex: s.chunkIndex, points: s.points, reason: "pending" as const })));
        }
      },
    },
    options,
  );
  host.writables.set(dataId, writable);
  return writable;
}
