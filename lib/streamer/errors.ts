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

/**
 * The server refused to finalize a stream (a 4xx): it stays as it is on the platform and is not retried.
 * `status` and `detail` are the server's; `cause` the refusal as the outbox recorded it (status, code,
 * detail, message, time) — the uploader may have met it in an earlier run.
 */
export class FinalizeRefusedError extends Error {
  override readonly name = "FinalizeRefusedError";
  readonly code = "finalize_refused";
  constructor(
    readonly dataId: string,
    readonly status: number | undefined,
    readonly detail: unknown,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`The server refused to finalize stream ${dataId}: ${message} Check the stream on the platform; its data is there, only the finalize was refused.`, options);
  }
}

/**
 * `initialize()` created the stream, but linking its physical sample (or attaching its tags) failed.
 * The stream is usable under `dataId`; `cause` says why the link failed.
 */
export class SampleLinkError extends Error {
  override readonly name = "SampleLinkError";
  readonly code = "sample_link_failed";
  constructor(
    readonly dataId: string,
    what: string,
    options: { cause: unknown },
  ) {
    super(
      `Stream ${dataId} was created, but ${what} failed: ${(options.cause as Error)?.message ?? String(options.cause)} The stream is usable; link the sample or attach the tags later, or finalize the stream.`,
      options,
    );
  }
}

/** An Error for the `error` field of an event (what was thrown may be anything). */
export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
