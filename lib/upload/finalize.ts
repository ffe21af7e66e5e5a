/**
 * Verify, then finalize (design §2): once a closing stream's slices are acked, read it back and compare
 * with its ledger and the slices still held; send again what differs (a later round verifies again);
 * finalize only after agreement. A difference that persists for `attempts` rounds, or that cannot be
 * repaired here, is reported by key and the stream is not finalized.
 */
import { ApiError } from "../api/errors.js";
import type { AtomscaleClient } from "../api/client.js";
import type { Outbox, QuarantineInfo, StoredSlice, StreamState } from "../outbox/outbox.js";
import { Ledger } from "./ledger.js";
import { compareReadBack, type ChannelDifference } from "./verify.js";

export interface VerifyRecord {
  /** Read-backs compared so far. */
  rounds: number;
  /** Slices sent again because a read-back differed. */
  resent: number;
  /** What the last read-back found different (empty when it agreed). */
  differing: ChannelDifference[];
  /** True once a read-back agreed with everything sent. */
  agreed?: boolean;
  /** Set when the uploader stopped trying: the differences it reports (the stream is not finalized). */
  gaveUp?: ChannelDifference[] | undefined;
}

export interface CloseContext {
  state: StreamState;
  client: AtomscaleClient;
  outbox: Outbox;
  verify: boolean;
  attempts: number;
  record: VerifyRecord;
  retained: Map<string, Map<number, StoredSlice>>;
}

/** Returns the finalized state, or undefined when slices were queued again (or the uploader gave up). */
export async function verifyThenFinalize(c: CloseContext): Promise<StreamState | undefined> {
  const { state, client, outbox, record } = c;
  const id = state.platformDataId ?? state.dataId;
  if (c.verify && state.ledger && state.ledger.length > 0 && !record.agreed) {
    let back;
    try {
      back = await client.getTimeseries(id);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 404)) throw error;
      back = null; // nothing stored yet
    }
    // Slices the server refused (quarantined) or the storage lost (corrupt) are reported on their own:
    // the comparison expects none of their points.
    const ledger = Ledger.from(state.ledger);
    for (const s of [...outbox.slices(state.dataId).filter((m) => m.quarantined), ...outbox.corruptSlices(state.dataId)]) ledger.set(s.channel, s.chunkIndex, 0);
    const outcome = compareReadBack(ledger, back, c.retained);
    record.rounds += 1;
    record.differing = outcome.differing;
    if (!outcome.ok) {
      if (record.rounds >= c.attempts || outcome.resend.length === 0) {
        record.gaveUp = outcome.differing;
        return undefined;
      }
      // Send again: new versions of the same keys (the uploader sends them, then this runs again).
      await outbox.put(
        outcome.resend.map((s) => ({
          dataId: s.dataId,
          channel: s.channel,
          chunkIndex: s.chunkIndex,
          timestamps: s.timestamps,
          values: s.values,
          units: s.units,
          complete: s.complete,
        })),
      );
      record.resent += outcome.resend.length;
      return undefined;
    }
    record.agreed = true;
  }
  try {
    await client.finalizeStream(id);
  } catch (error) {
    if (error instanceof ApiError && error.classification === "permanent") {
      // The server will never take this finalize (e.g. it does not know the stream): record why, stop trying.
      const info: QuarantineInfo = { status: error.status, code: error.code, detail: error.detail, message: error.message, at: Date.now() };
      const failed: StreamState = { ...(outbox.getStream(state.dataId) ?? state), phase: "finalized", finalizeError: info, updatedAt: Date.now() };
      await outbox.putStream(failed);
      return failed;
    }
    throw error;
  }
  const done: StreamState = { ...(outbox.getStream(state.dataId) ?? state), phase: "finalized", updatedAt: Date.now() };
  await outbox.putStream(done);
  return done;
}
