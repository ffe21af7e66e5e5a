/** Streams an outbox holds for another endpoint: left alone unless adopted, and reported (never silently ignored). */
import type { Outbox, StreamState } from "../outbox/outbox.js";
import { describeMismatch, sameEndpoint } from "../upload/endpoint.js";
import type { Emit } from "./events.js";
import type { ForeignStream } from "./types.js";

/** Which streams are a streamer's: those of its endpoint (compared as URLs), or every one when adopting (`adoptPending`). */
export function ownedBy(endpoint: string, adopt: boolean): (state: StreamState | undefined) => boolean {
  return (state) => adopt || state === undefined || sameEndpoint(state.endpoint, endpoint);
}

export function foreignStreams(outbox: Outbox, ours: (state: StreamState) => boolean, endpoint: string): { streams: ForeignStream[]; slices: number } {
  const streams: ForeignStream[] = [];
  let slices = 0;
  for (const state of outbox.streams()) {
    if (ours(state) || state.phase === "finalized") continue;
    const pendingSlices = outbox.pendingCount(state.dataId);
    if (pendingSlices === 0 && state.phase !== "closing" && !state.pendingInitialize) continue;
    slices += pendingSlices;
    streams.push({ dataId: state.dataId, endpoint: state.endpoint, phase: state.phase, pendingSlices, reason: describeMismatch(state.endpoint, endpoint) });
  }
  return { streams, slices };
}

/** Log and announce (event "foreign") the streams of another endpoint the outbox holds, if any. */
export function reportForeign(
  foreign: { streams: ForeignStream[]; slices: number },
  endpoint: string,
  log: (level: "error", message: string) => void,
  emit: Emit,
): void {
  if (foreign.streams.length === 0) return;
  log(
    "error",
    `the outbox holds ${foreign.slices} pending slice(s) of ${foreign.streams.length} stream(s) for another endpoint, left alone: ` +
      `${foreign.streams.map((f) => `${f.dataId} (${f.reason})`).join("; ")}. Pass adoptPending: true to send them to ${endpoint}.`,
  );
  emit("foreign", foreign);
}
