/** The browser refused a write for want of storage: OutboxQuotaError, and how to tell a quota refusal. */
import type { SliceKey } from "../types.js";

/** What an {@link OutboxQuotaError} reports. */
export interface OutboxQuotaDetails {
  /** The slices the refused write carried (none were stored). */
  refused: SliceKey[];
  refusedPoints: number;
  /** Slices pending in the outbox before this write: all kept. */
  pendingSlices: number;
  pendingBytes: number;
  /** This origin's storage usage and quota as the browser last reported them, in bytes. */
  usage?: number | undefined;
  quota?: number | undefined;
}

/**
 * The browser's storage for this site is full: the write was refused and nothing of it was stored.
 * What the outbox held before is untouched. `cause` is the browser's QuotaExceededError.
 */
export class OutboxQuotaError extends Error {
  override readonly name = "OutboxQuotaError";
  readonly code = "outbox_quota";
  readonly refused: SliceKey[];
  readonly pendingSlices: number;
  readonly usage: number | undefined;
  readonly quota: number | undefined;

  constructor(details: OutboxQuotaDetails, options: { cause: unknown }) {
    const { refused, refusedPoints, pendingSlices, pendingBytes, usage, quota } = details;
    const streams = [...new Set(refused.map((k) => k.dataId))].join(", ");
    const used = usage !== undefined && quota !== undefined ? ` (it last reported ${usage} of ${quota} bytes in use)` : "";
    const what =
      refused.length > 0
        ? `${refused.length} slice(s) (${refusedPoints} points) of stream(s) ${streams} could not be stored, so they were not accepted`
        : "a stream's state could not be stored";
    super(
      `The browser's storage for this site is full${used}: ${what}. The ${pendingSlices} slice(s) already pending ` +
        `(about ${pendingBytes} bytes) are kept and upload when the server is reachable. To go on: let the pending data upload, ` +
        `free this site's storage (other databases, caches), or lower capacityBytes so the outbox holds writers back before the ` +
        `browser's quota is reached; then write the refused readings again.`,
      options,
    );
    this.refused = refused;
    this.pendingSlices = pendingSlices;
    this.usage = usage;
    this.quota = quota;
  }
}

/** True when an error (or what it wraps) is the browser's quota refusal. */
export function isQuotaError(error: unknown): boolean {
  for (let e = error, depth = 0; e && depth < 4; depth++) {
    if (typeof e !== "object") return false;
    const { name, code } = e as { name?: unknown; code?: unknown };
    if (name === "QuotaExceededError" || (e instanceof DOMException && code === 22)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
