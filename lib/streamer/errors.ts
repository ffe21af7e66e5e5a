/** Errors of the TimeseriesStreamer's own making (API failures are ApiErrors, bad input InvalidInputErrors). */
import type { SliceKey } from "../types.js";
import type { StreamPhase } from "../outbox/outbox.js";

export class StreamClosedError extends Error {
  override readonly name = "StreamClosedError";
  readonly code = "stream_closed";
  constructor(readonly dataId: string, readonly phase: StreamPhase) {
    super(`Stream ${dataId} is ${phase === "closing" ? "being finalized" : "finalized"}: it takes no more data. Initialize a new stream.`);
  }
}

/**
 * A writable over a non-durable outbox (MemoryOutbox) closed before everything was on the server: the
 * data would be lost when the process exits. `unsent` names every slice not on the server, by key.
 */
export class UnsentDataError extends Error {
  override readonly name = "UnsentDataError";
  readonly code = "unsent";
  constructor(
    readonly dataId: string,
    /** Slices not on the server: pending, quarantined, corrupt, or found missing by the read-back. */
    readonly unsent: Array<SliceKey & { points?: number; reason: "pending" | "quarantined" | "corrupt" | "unverified" }>,
    options?: { cause?: unknown },
  ) {
    const points = unsent.reduce((n, s) => n + (s.points ?? 0), 0);
    super(
      `Stream ${dataId} closed with ${unsent.length} slice(s)${points > 0 ? ` (${points} points)` : ""} not on the server, held only in memory (MemoryOutbox): ` +
        `${unsent.slice(0, 5).map((s) => `${s.channel}#${s.chunkIndex} (${s.reason})`).join(", ")}${unsent.length > 5 ? ", …" : ""}. ` +
        "Keep the process running and call finalize() again, or use a durable outbox (FileOutbox, IndexedDbOutbox) so a later run can send them.",
      options,
    );
  }
}
