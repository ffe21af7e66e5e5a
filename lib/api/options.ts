/** The client's options (`new AtomscaleClient(options)`), their defaults and their checks. */
import type { Hooks, RetryOptions } from "ky";
import type { Transport } from "./transport.js";

export const DEFAULT_ENDPOINT = "https://api.atomscale.ai";
export type StreamPrefix = "/metrology" | "/tool-state";
/** The platform's current stream prefix (the SDK's newest streaming core uses it). */
export const DEFAULT_STREAM_PREFIX: StreamPrefix = "/tool-state";

export interface AtomscaleClientOptions {
  /** Sent as `X-API-KEY` on every request. */
  apiKey: string;
  /** @default "https://api.atomscale.ai" */
  endpoint?: string;
  /**
   * Path prefix of the stream endpoints. The platform renamed metrology → tool-state and serves
   * `/metrology` only as a deprecated alias. @default "/tool-state"
   */
  streamPrefix?: StreamPrefix;
  /** Per-request timeout in milliseconds (false: none). @default 30000 */
  timeoutMs?: number | false;
  /** ky's retry option. The uploader does its own retrying, so the client does none by default. @default 0 */
  retry?: RetryOptions | number;
  /** A `fetch` to use instead of the global one (tests, proxies, instrumentation). Chunk uploads then go through it too. */
  fetch?: typeof fetch;
  /**
   * How chunk uploads travel when no `fetch` is given: by default a keep-alive `node:http` agent under
   * Node and `fetch` everywhere else (package.json "imports", `#transport`). Other requests use `fetch`.
   */
  transport?: Transport;
  /** ky hooks, e.g. for logging. The API key is added before these run. */
  hooks?: Hooks;
}

/** ky's largest timeout (setTimeout's limit); a larger one goes through ky, which refuses it. */
export const MAX_TIMEOUT_MS = 2_147_483_647;

/** The options checked, with their defaults: throws a TypeError naming the option and the value. */
export function resolveClientOptions(options: AtomscaleClientOptions): { endpoint: string; streamPrefix: StreamPrefix; timeoutMs: number | false } {
  if (typeof options?.apiKey !== "string" || options.apiKey.trim() === "") {
    throw new TypeError("AtomscaleClient: apiKey must be a non-empty string (the X-API-KEY of your account).");
  }
  const prefix = options.streamPrefix ?? DEFAULT_STREAM_PREFIX;
  if (prefix !== "/metrology" && prefix !== "/tool-state") {
    throw new TypeError(`AtomscaleClient: streamPrefix must be "/metrology" or "/tool-state", got ${JSON.stringify(prefix)}.`);
  }
  const endpoint = (options.endpoint ?? DEFAULT_ENDPOINT).replace(/\/+$/, "");
  try {
    new URL(endpoint);
  } catch (cause) {
    throw new TypeError(`AtomscaleClient: endpoint must be an absolute URL, got ${JSON.stringify(options.endpoint)}.`, { cause });
  }
  return { endpoint, streamPrefix: prefix, timeoutMs: options.timeoutMs ?? 30_000 };
}
