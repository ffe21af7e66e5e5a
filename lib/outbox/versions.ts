/**
 * Slice versions and the records a put stores: each new slice gets a fresh version, its size in bytes,
 * and the `createdAt` of the version it supersedes (so its age counts from the first put of its key).
 */
import type { SliceKey } from "../types.js";
import { sliceBytes } from "./sizes.js";
import type { NewSlice, SliceMeta, StoredSlice } from "./types.js";

/** The versions an outbox gives out: always above every version it has seen. */
export class Versions {
  #version = 0;

  /** A version found in storage (at open): later ones are above it. */
  seen(version: number): void {
    this.#version = Math.max(this.#version, version);
  }

  /**
   * Versions grow with time and carry random low digits, so two writers sharing a store (tabs, or a
   * process after a restart) practically never give one key the same version for different content.
   */
  next(): number {
    this.#version = Math.max(this.#version + 1, Date.now() * 1000 + Math.floor(Math.random() * 1000));
    return this.#version;
  }
}

/** The records to store for `slices` (new versions, in order), and how many bytes they add to the pending ones. */
export function newRecords(slices: NewSlice[], pending: { get(key: SliceKey): SliceMeta | undefined }, versions: Versions): { records: StoredSlice[]; delta: number } {
  const now = Date.now();
  let delta = 0;
  const records: StoredSlice[] = slices.map((s) => {
    const prev = pending.get(s);
    const bytes = sliceBytes(s.values.length, s.channel);
    delta += bytes - (prev?.bytes ?? 0);
    return {
      dataId: s.dataId,
      channel: s.channel,
      chunkIndex: s.chunkIndex,
      version: versions.next(),
      points: s.values.length,
      bytes,
      complete: s.complete,
      createdAt: prev?.createdAt ?? now,
      timestamps: s.timestamps,
      values: s.values,
      ...(s.units !== undefined ? { units: s.units } : {}),
    };
  });
  return { records, delta };
}
