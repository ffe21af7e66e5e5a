/**
 * What the streamer tells its user about the uploader's and the outbox's work: log lines (by
 * verbosity) and typed events. Nothing here decides anything.
 */
import type { Outbox, DropRecord, SliceMeta } from "../outbox/outbox.js";
import type { UploaderEvents } from "../upload/uploader.js";
import type { TimeseriesStreamerEventMap } from "./types.js";

export interface Reporter {
  log(level: "error" | "info" | "debug" | "trace", message: string): void;
  emit<K extends keyof TimeseriesStreamerEventMap>(type: K, detail: TimeseriesStreamerEventMap[K]): void;
  /** Waiters re-check their conditions. */
  settled(): void;
}

export function uploaderReports(r: Reporter & { acked: UploaderEvents["acked"] }): UploaderEvents {
  return {
    acked: r.acked,
    failed: (error, info) => {
      const level = info.classification === "transient" ? "debug" : "error";
      r.log(level, `${error.message}${info.retryInMs !== undefined ? ` Retrying in ${info.retryInMs} ms.` : ""}`);
      r.emit("error", {
        error,
        dataId: info.dataId,
        classification: info.classification,
        retryInMs: info.retryInMs,
        slices: info.slices.map(({ channel, chunkIndex }) => ({ channel, chunkIndex })),
      });
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
