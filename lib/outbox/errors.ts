/** The outbox's own errors: a full outbox, and a slice it could not read back. */
import type { SliceKey } from "../types.js";
import type { CorruptInfo } from "./types.js";

export class OutboxFullError extends Error {
  override readonly name = "OutboxFullError";
  readonly code = "outbox_full";
  constructor(readonly usedBytes: number, readonly capacityBytes: number, readonly neededBytes: number) {
    super(
      `The outbox is full (${usedBytes} of ${capacityBytes} bytes used, ${neededBytes} more needed): the server has not taken data for a while. ` +
        `Raise capacityBytes, or use overflow "wait" (backpressure) or "drop-oldest".`,
    );
  }
}

const describe = (key: SliceKey): string => `slice ${JSON.stringify(key.channel)} #${key.chunkIndex} of stream ${key.dataId}`;

/**
 * A pending slice could not be read from local storage. The classification is the storage's own:
 * `transient` (too many open files, a busy disk or database): the slice stays pending, read it again
 * later; otherwise see {@link CorruptSliceError}. `cause` is what the storage said.
 */
export class OutboxReadError extends Error {
  override readonly name: string = "OutboxReadError";
  readonly code: "outbox_read_failed" | "corrupt" = "outbox_read_failed";
  /** True when reading again later may work; the slice is still pending. */
  readonly transient: boolean = true;
  readonly key: SliceKey;
  readonly version: number;

  constructor(key: SliceKey & { version: number }, options: { cause: unknown; message?: string }) {
    const why = options.cause instanceof Error ? options.cause.message : String(options.cause);
    super(
      options.message ??
        `Could not read pending ${describe(key)} from local storage (${why}). It is kept and read again later; ` +
          "if this persists, free file handles (raise `ulimit -n`) or storage, or close other users of the outbox.",
      { cause: options.cause },
    );
    this.key = { dataId: key.dataId, channel: key.channel, chunkIndex: key.chunkIndex };
    this.version = key.version;
  }
}

/**
 * A pending slice is damaged in local storage (checksum mismatch, unparsable, cut short, or missing
 * while the outbox says it is pending). It was set aside: kept (see `corrupt.keptAt`), listed by
 * `outbox.corruptSlices()`, no longer pending, never acknowledged. Its readings are not on the server.
 */
export class CorruptSliceError extends OutboxReadError {
  override readonly name = "CorruptSliceError";
  override readonly code = "corrupt" as const;
  override readonly transient = false;
  readonly corrupt: CorruptInfo;

  constructor(key: SliceKey & { version: number }, corrupt: CorruptInfo, options: { cause?: unknown } = {}) {
    super(key, {
      cause: options.cause ?? new Error(corrupt.message),
      message:
        `Pending ${describe(key)} is damaged in local storage (${corrupt.reason}: ${corrupt.message}) and was set aside` +
        `${corrupt.keptAt ? ` (kept at ${corrupt.keptAt})` : ""}; its readings were not sent. ` +
        "Recover them from the instrument's own log if you need them, then remove the damaged record.",
    });
    this.corrupt = corrupt;
  }
}
