/**
 * What a new streamer does with what its outbox holds (design §3.6), once the outbox is open: a previous
 * run's pending slices count as accepted, the open chunks it left in stream states are put as short
 * slices, the work ahead is logged, streams of another endpoint are reported, and the uploader starts.
 */
import type { Outbox } from "../outbox/outbox.js";
import type { StreamWrites } from "./accept.js";
import type { Progress } from "./progress.js";

export interface RecoveryParts {
  outbox: Outbox;
  progress: Progress;
  writes: StreamWrites;
  log(level: "info", message: string): void;
  /** Report the streams of another endpoint (left alone unless adopted). */
  reportForeign(): void;
  /** Start the uploader. */
  kick(): void;
}

export async function recover(r: RecoveryParts): Promise<void> {
  const { outbox } = r;
  r.progress.pending(outbox.slices());
  await r.writes.recoverOpenChunks();
  const pending = outbox.slices().filter((s) => !s.quarantined).length;
  const closing = outbox.streams().filter((s) => s.phase === "closing").length;
  const queued = outbox.streams().filter((s) => s.pendingInitialize).length;
  if (pending > 0 || closing > 0 || queued > 0) {
    r.log("info", `recovering ${pending} pending slice(s), ${queued} stream(s) to initialize and ${closing} to finalize`);
  }
  r.reportForeign();
  r.kick();
}
