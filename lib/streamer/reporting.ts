/**
 * What the streamer tells its user about the uploader's and the outbox's work: log lines (by
 * verbosity) and typed events (events.ts) — acks as progress, failures as errors by kind. Nothing here
 * decides anything.
 */
import { OutboxReadError } from "../outbox/errors.js";
import type { Outbox, DropRecord, SliceMeta, StreamState } from "../outbox/outbox.js";
import type { UploaderEvents } from "../upload/uploader.js";
import { FinalizeRefusedError } from "./errors.js";
import type { Emit, StreamerErrorDetail } from "./events.js";
import type { Progress } from "./progress.js";

export interface Reporter {
  log(level: "error" | "info" | "debug" | "trace", message: string | (() => string)): void;
  emit: Emit;
  /** Waiters re-check their conditions. */
  settled(): void;
}

/** What the uploader's reports read: the progress counters and the outbox (its stream states, pending counts). */
export interface UploaderReportSources {
  progress: Progress;
  outbox: Outbox;
}

export function uploaderReports(r: Reporter & UploaderReportSources): UploaderEvents {
  return {
    acked: (dataId, slices) => {
      r.progress.acked(dataId, slices);
      r.log("trace", () => `acked ${slices.map((s) => `${s.channel}#${s.chunkIndex}`).join(" ")} of ${dataId}`);
      const { ackedPoints, acceptedPoints } = r.progress.of(dataId);
      r.emit("progress", { dataId, ackedPoints, acceptedPoints, pendingSlices: r.outbox.pendingCount(dataId) });
    },
    failed: (error, info) => {
      const level = info.classification === "transient" ? "debug" : "error";
      r.log(level, `${error.message}${info.retryInMs !== undefined ? ` Retrying in ${info.retryInMs} ms.` : ""}`);
      r.emit("error", uploaderError(error, info, r.outbox.getStream(info.dataId ?? "")));
    },
    quarantined: (dataId, slices) => {
      r.log("error", `quarantined ${slices.length} slice(s) of ${dataId}: ${slices.map((s) => `${s.channel}#${s.chunkIndex}`).join(", ")}`);
      r.emit("quarantine", {
        dataId,
        slices: slices.map((s) => ({ channel: s.channel, chunkIndex: s.chunkIndex, points: s.points, ...s.quarantined })),
      });
    },
    verified: (dataId, record) => {
      const agreed = record.agreed === true;
      const gaveUp = record.gaveUp !== undefined;
      const level = gaveUp ? "error" : agreed ? "debug" : "info";
      r.log(
        level,
        `verify ${dataId}: ${agreed ? "the read-back agrees with what was sent" : gaveUp ? "the read-back still differs; the stream is NOT finalized" : "the read-back differs; sending again"}` +
          record.differing.map((d) => ` [${d.channel}: ${d.serverPoints} of ${d.expectedPoints} points, from chunk ${d.firstChunk}]`).join(""),
      );
      r.emit("verify", { dataId, rounds: record.rounds, resent: record.resent, agreed, differing: record.differing, gaveUp });
      r.settled();
    },
    finalized: (state) => {
      r.log("info", `stream ${state.dataId} finalized${state.finalizeError ? ` with an error: ${state.finalizeError.message}` : ""}`);
      r.emit("state", { dataId: state.dataId, phase: state.phase });
      r.settled();
    },
    state: (connection) => {
      r.log("debug", `uploader ${connection}`);
      r.emit("connection", { connection });
    },
    settled: () => r.settled(),
  };
}

/** A listener for the outbox's events: drops (overflow "drop-oldest") and damaged slices, reported by key. */
export function outboxReports(r: Reporter & { dropped(record: DropRecord): void }): Parameters<Outbox["on"]>[0] {
  return (e) => {
    if (e.type === "drop") {
      r.log("error", `outbox full: dropped ${e.dropped.length} oldest slice(s)`);
      for (const d of e.dropped) r.dropped(d);
      r.emit("error", {
        kind: "outbox-dropped",
        error: new Error(`The outbox was full: ${e.dropped.length} oldest slice(s) dropped (overflow "drop-oldest").`),
        classification: "storage",
        dropped: e.dropped,
      });
    } else if (e.type === "corrupt") {
      const byStream = new Map<string, SliceMeta[]>();
      for (const m of e.slices) byStream.set(m.dataId, [...(byStream.get(m.dataId) ?? []), m]);
      for (const [dataId, slices] of byStream) {
        r.log("error", `the outbox set aside ${slices.length} damaged slice(s) of ${dataId}: ${slices.map((m) => `${m.channel}#${m.chunkIndex}`).join(", ")}`);
        r.emit("corrupt", { dataId, slices });
      }
    }
    r.settled();
  };
}

/**
 * The `error` event of an uploader failure, by where it came from. The uploader reports a request of slices
 * (or slices its outbox could not read) with the slices, and its stream tasks without: a stream whose
 * queued initialize is still pending failed at its initialize, any other at its verify or finalize.
 */
function uploaderError(error: Error, info: Parameters<UploaderEvents["failed"]>[1], state: StreamState | undefined): StreamerErrorDetail {
  const { classification, retryInMs } = info;
  const dataId = info.dataId ?? "";
  if (info.slices.length > 0) {
    const slices = info.slices.map(({ channel, chunkIndex }) => ({ channel, chunkIndex }));
    if (error instanceof OutboxReadError) return { kind: "outbox-read", error, dataId, classification: "transient", retryInMs, slices };
    return { kind: "request", error, dataId, classification, retryInMs, slices };
  }
  if (state?.pendingInitialize) return { kind: "initialize", error, dataId, classification, retryInMs };
  const refusal = state?.finalizeError;
  if (classification === "permanent" && refusal) {
    // The uploader records the refusal in the stream's state; listeners get it as the class finalize() rejects with.
    return { kind: "finalize", error: new FinalizeRefusedError(dataId, refusal.status, refusal.detail, refusal.message, { cause: refusal }), dataId, classification };
  }
  return { kind: "finalize", error, dataId, classification, retryInMs };
}
