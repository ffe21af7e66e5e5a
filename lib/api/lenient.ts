/** Reading what a server answered without trusting its shape: 2xx bodies, numbers sent as text. */
import type { ChunkResult } from "./types.js";
import type { ChunkResponse } from "./wire.js";

/** A 2xx body as JSON if it is JSON, else null: `""`, `"ok"`, `{}` are all acknowledgements. */
export function parseLeniently(text: string): unknown {
  if (text === "") return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

export function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/** What the server said about one slice, filled from the request where its answer is silent. */
export function chunkResult(res: unknown, dataId: string, chunkIndex: number, channelName: string): ChunkResult {
  const r: Partial<ChunkResponse> = isObject(res) ? res : {};
  const total = numeric(r.total_points);
  return {
    dataId: typeof r.data_id === "string" ? r.data_id : dataId,
    channelName: typeof r.channel_name === "string" ? r.channel_name : channelName,
    chunkIndex: typeof r.chunk_index === "number" ? r.chunk_index : chunkIndex,
    totalPoints: total ?? null,
  };
}

/** A number, or a numeric string (a Decimal sent as text) as a number; anything else undefined. */
export function numeric(x: unknown): number | undefined {
  if (typeof x === "number") return x;
  if (typeof x === "string" && x.trim() !== "") {
    const n = Number(x);
    if (Number.isFinite(n)) return n;
  }
  return undefined;
}
