/**
 * Finalize, as the streamer's caller sees it: wait (up to `timeoutMs`) for the uploader to verify and
 * finalize a closing stream, or defer it (`closing` in the outbox, completed later); `force` finalizes now
 * and hands back what was not sent. Also the result of a finalize (FinalizeResult) and what of it is not
 * on the server, by key (for UnsentDataError).
 */
import type { Outbox, SliceMeta, StoredSlice } from "../outbox/outbox.js";
import type { UploadStream } from "../streams/upload-stream.js";
import { platformId, type Uploader } from "../upload/uploader.js";
import type { StreamWrites } from "./accept.js";
import type { Waiters } from "./waiters.js";
import type { Clients } from "./platform-initialize.js";
import { FinalizeRefusedError, UnsentDataError } from "./errors.js";
import type { StreamInitializer } from "./initializer.js";
import type { Emit } from "./events.js";
import type { FinalizeOptions, FinalizeResult, UnverifiedSlice } from "./types.js";

export interface StreamFinalizerOptions {
  outbox: Outbox;
  uploader: Uploader;
  initializer: StreamInitializer;
  /** The client of each path prefix. */
  clients: Pick<Clients, "of">;
  /** New stream states and state changes (accept.ts). */
  writes: Pick<StreamWrites, "newState" | "writeState">;
  /** The writable open on a stream, if any. */
  writable(dataId: string): UploadStream | undefined;
  /** Waiting until a condition holds (false on timeout). */
  waiters: Pick<Waiters, "until">;
  log(level: "error" | "info" | "debug" | "trace", message: string): void;
  emit: Emit;
}

/** The streamer's finalize: waiting for the uploader's, deferring it, or forcing it. */
export class StreamFinalizer {
  readonly #o: StreamFinalizerOptions;

  constructor(options: StreamFinalizerOptions) {
    this.#o = options;
  }

  /** `TimeseriesStreamer.finalize` once the outbox is open (see there). */
  async finalize(dataId: string, options: FinalizeOptions = {}): Promise<FinalizeResult> {
    const { outbox, uploader } = this.#o;
    const timeoutMs = options.timeoutMs ?? 30_000;
    if (!outbox.getStream(dataId)) await outbox.putStream(this.#o.writes.newState(dataId, 0));
    // A writable still open on this stream: its open chunks go to the outbox first (nothing accepted is lost).
    await this.#o.writable(dataId)?.seal();
    let state = outbox.getStream(dataId)!;
    if (state.phase === "finalized") return this.#result(dataId, "finalized", []);

    if (options.force) {
      await this.#o.waiters.until(() => uploader.inFlight(dataId) === 0 && !uploader.isFinalizing(dataId));
      if (platformId(outbox.getStream(dataId), dataId) === undefined) await this.#o.initializer.sendQueued(dataId);
      state = outbox.getStream(dataId)!;
      const id = platformId(state, dataId);
      if (id === undefined) {
        throw new Error(`Stream ${dataId} has not been created on the platform yet (it was started offline): it cannot be finalized there. Try again once the platform is reachable.`);
      }
      const pending = outbox.slices(dataId).filter((s) => !s.quarantined);
      const unsent = (await Promise.all(pending.map((m) => outbox.read(m).catch(() => undefined)))).filter((s): s is StoredSlice => s !== undefined);
      await this.#o.clients.of(state.streamPrefix).finalizeStream(id);
      await outbox.remove(unsent);
      await this.#o.writes.writeState(dataId, { phase: "finalized" });
      this.#o.emit("state", { dataId, phase: "finalized" });
      return { ...this.#result(dataId, "finalized", []), unsent };
    }

    if (state.phase === "open") {
      await this.#o.writes.writeState(dataId, { phase: "closing" });
      this.#o.emit("state", { dataId, phase: "closing" });
    }
    uploader.kick();
    const finished = await this.#o.waiters.until(
      () => outbox.getStream(dataId)?.phase === "finalized" || uploader.verification(dataId)?.gaveUp !== undefined,
      undefined,
      timeoutMs,
    );
    const pending = outbox.slices(dataId).filter((s) => !s.quarantined);
    if (outbox.getStream(dataId)?.phase === "finalized") return this.#result(dataId, "finalized", []);
    if (finished) return this.#result(dataId, "unverified", pending);
    this.#o.log("info", `finalize of ${dataId} deferred: ${pending.length} slice(s) still pending`);
    return this.#result(dataId, "deferred", pending);
  }

  #result(dataId: string, status: FinalizeResult["status"], unsent: SliceMeta[]): FinalizeResult {
    const { outbox } = this.#o;
    const state = outbox.getStream(dataId);
    if (status === "finalized" && state?.finalizeError) {
      const refusal = state.finalizeError;
      throw new FinalizeRefusedError(dataId, refusal.status, refusal.detail, refusal.message, { cause: refusal });
    }
    const gaveUp = this.#o.uploader.verification(dataId)?.gaveUp ?? [];
    const unverified: UnverifiedSlice[] = gaveUp.map((d) => ({ dataId, channel: d.channel, chunkIndex: d.firstChunk, expectedPoints: d.expectedPoints, serverPoints: d.serverPoints }));
    return {
      status,
      unsent,
      quarantined: outbox.slices(dataId).filter((s) => s.quarantined),
      corrupt: outbox.corruptSlices(dataId),
      unverified,
    };
  }
}

/** Everything of a finalize result that is not on the server, by key. */
export function unsentOf(dataId: string, result: FinalizeResult, withQuarantined: boolean): UnsentDataError["unsent"] {
  const key = (s: SliceMeta, reason: "pending" | "quarantined" | "corrupt") => ({ dataId, channel: s.channel, chunkIndex: s.chunkIndex, points: s.points, reason });
  return [
    ...result.unsent.map((s) => key(s, "pending")),
    ...(withQuarantined ? result.quarantined.map((s) => key(s, "quarantined")) : []),
    ...result.corrupt.map((s) => key(s, "corrupt")),
    ...result.unverified.map((u) => ({ dataId, channel: u.channel, chunkIndex: u.chunkIndex, points: u.expectedPoints - u.serverPoints, reason: "unverified" as const })),
  ];
}
