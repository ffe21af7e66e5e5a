/** Streams an outbox holds for another endpoint: left alone unless adopted, and reported (never silently ignored). */
import type { Outbox, StreamState } from "../outbox/outbox.js";
import { describeMismatch } from "../upload/endpoint.js";
import type { ForeignStream } from "./types.js";

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
