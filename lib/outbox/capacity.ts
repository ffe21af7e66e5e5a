/**
 * Default capacities that fit the medium (issue 11). A MemoryOutbox lives in the process's memory
 * (64 MiB); a FileOutbox or IndexedDbOutbox holds half of the space free when it opens, converted from
 * bytes on the medium to the outbox's own estimate (16 bytes a point plus overhead) — and at least a
 * weekend of 10 Hz × 16 channels when the medium has room for it.
 */
import { sliceBytes } from "./sizes.js";

/** A weekend — Friday 18:00 to Monday 10:00, 64 hours — of 10 Hz × 16 channels, in slices of 100 points, as outbox bytes (≈ 634 MB). */
export const WEEKEND_BYTES = Math.ceil((10 * 16 * 64 * 3600) / 100) * sliceBytes(100, "channel-name");

/** Share of the free space a durable outbox takes by default. */
export const FREE_SPACE_SHARE = 0.5;

/**
 * Bytes on the medium per byte of the outbox's estimate (measured: a slice of 100 points is ≈ 1.7 kB of
 * estimate, ≈ 2.4 kB of JSON on disk in a 4 kB block; IndexedDB stores numbers as 8-byte doubles).
 */
export const MEDIUM_BYTES_PER_OUTBOX_BYTE = { file: 2.5, indexeddb: 2 } as const;

/**
 * The default capacity for `free` bytes free on a medium: half of it (in outbox bytes), at least a
 * weekend when 90 % of the free space holds one, never more than 90 % of the free space.
 */
export function capacityForFreeSpace(free: number, medium: keyof typeof MEDIUM_BYTES_PER_OUTBOX_BYTE): number | undefined {
  if (!(free > 0) || !Number.isFinite(free)) return undefined;
  const perByte = MEDIUM_BYTES_PER_OUTBOX_BYTE[medium];
  const share = (free * FREE_SPACE_SHARE) / perByte;
  const most = (free * 0.9) / perByte;
  return Math.floor(Math.max(share, Math.min(WEEKEND_BYTES, most)));
}
