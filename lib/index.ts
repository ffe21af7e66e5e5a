/** `atomscale-stream` — stream instrument readings into the Atomscale platform. Runtime-neutral. */
export { AtomscaleClient, DEFAULT_ENDPOINT, normalizeTimeseries } from "./api/client.js";
export type { AtomscaleClientOptions, StreamPrefix } from "./api/client.js";
export { ApiError, classifyStatus, parseRetryAfter, describeDetail } from "./api/errors.js";
export type { ErrorClassification } from "./api/errors.js";
export type * from "./api/types.js";
export type * as Wire from "./api/wire.js";
