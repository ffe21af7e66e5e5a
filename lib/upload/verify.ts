/**
 * Verify before finalize: compare a stream's read-back with its ledger (points per chunk, per channel)
 * and, where the uploader still holds the slices it sent, with their values and timestamps at their
 * positions. What differs and can be re-sent is handed back; what differs and cannot is reported by key.
 */
import type { Timeseries } from "../api/types.js";
import type { StoredSlice } from "../outbox/outbox.js";
import { ownEntry } from "../types.js";
import type { Ledger } from "./ledger.js";

export interface ChannelDifference {
  channel: string;
  /** Points the ledger says the server must hold, and what it holds. */
  expectedPoints: number;
  serverPoints: number;
  /** The first chunk whose points are not where they belong (as far as this side can tell). */
  firstChunk: number;
}

export interface VerifyOutcome {
  ok: boolean;
  /** Slices to send again (kept since they were acked), newest versions. */
  resend: StoredSlice[];
  /** Channels whose difference this side cannot repair (it no longer holds those slices). */
  unrepairable: ChannelDifference[];
  /** Every channel that differs. */
  differing: ChannelDifference[];
}

/**
 * @param retained the slices sent and acked that the uploader still holds, per channel and chunk index.
 */
export function compareReadBack(ledger: Ledger, back: Timeseries | null, retained: ReadonlyMap<string, ReadonlyMap<number, StoredSlice>>): VerifyOutcome {
  const resend: StoredSlice[] = [];
  const unrepairable: ChannelDifference[] = [];
  const differing: ChannelDifference[] = [];
  for (const channel of ledger.channels) {
    const property = back ? ownEntry(back.properties, channel) : undefined;
    const values = property?.values ?? [];
    const times = property?.unixTimestampMs ?? [];
    const expected = ledger.total(channel);
    const held = retained.get(channel);
    let firstBad: number | undefined;
    let firstUnheld: number | undefined;
    for (const { chunkIndex, points, offset } of ledger.chunks(channel)) {
      const mine = held?.get(chunkIndex);
      if (!mine) {
        if (offset + points > values.length && firstBad === undefined) firstBad = chunkIndex; // missing at the end
        firstUnheld ??= chunkIndex;
        continue;
      }
      if (firstBad !== undefined || !sameAt(mine, values, times, offset)) firstBad ??= chunkIndex;
    }
    if (firstBad === undefined && values.length === expected) continue;
    // A count that differs may come from any chunk not held here before the first visible difference.
    const countOff = values.length !== expected && firstUnheld !== undefined && (firstBad === undefined || firstUnheld < firstBad);
    const firstChunk = countOff ? firstUnheld! : (firstBad ?? firstUnheld ?? 0);
    const diff: ChannelDifference = { channel, expectedPoints: expected, serverPoints: values.length, firstChunk };
    differing.push(diff);
    const again = held ? [...held.values()].filter((s) => s.chunkIndex >= Math.min(firstChunk, firstBad ?? Infinity)) : [];
    resend.push(...again);
    // Repairable only when every chunk from the first difference on is still held here.
    let repairable = again.length > 0;
    for (const { chunkIndex } of ledger.chunks(channel)) {
      if (chunkIndex >= firstChunk && !held?.has(chunkIndex)) {
        repairable = false;
        break;
      }
    }
    if (!repairable) unrepairable.push(diff);
  }
  return { ok: differing.length === 0, resend, unrepairable, differing };
}

/**
 * The same value as stored by a platform: equal, or within single precision's rounding (a store of
 * 32-bit floats must not make every verification fail; a different point differs by far more).
 */
function closeEnough(stored: number | null | undefined, sent: number): boolean {
  if (stored === sent) return true;
  if (typeof stored !== "number") return false;
  return Math.abs(stored - sent) <= 1e-6 * Math.max(Math.abs(stored), Math.abs(sent), Number.MIN_VALUE);
}

/** The slice's points sit on the server at `offset`: same values, same times to the millisecond. */
function sameAt(slice: StoredSlice, values: ReadonlyArray<number | null>, times: ReadonlyArray<number | string | null>, offset: number): boolean {
  if (offset + slice.values.length > values.length) return false;
  for (let i = 0; i < slice.values.length; i++) {
    if (!closeEnough(values[offset + i], slice.values[i]!)) return false;
    const t = Number(times[offset + i]);
    if (times.length > 0 && !(Math.abs(t - slice.timestamps[i]! * 1000) <= 1)) return false;
  }
  return true;
}
