/**
 * The hot path: POST a chunk upload (its JSON already written as text) straight through the runtime's
 * transport (transport.ts), with the same URL, headers, timeout and ApiErrors as a request through ky —
 * ky's per-request Request clone (a tee of the body stream) and timeout wrapper cost more CPU than the
 * request itself on a fast link. Used when ky has nothing to add (no hooks, no retry).
 */
import { defaultTransport } from "#transport";
import { ApiError } from "./errors.js";
import { parseLeniently } from "./lenient.js";
import { MAX_TIMEOUT_MS, type AtomscaleClientOptions } from "./options.js";
import { errorOf } from "./response-error.js";
import { fetchTransport, type Transport, type TransportResponse } from "./transport.js";

export interface DirectUploads {
  readonly transport: Transport;
  readonly timeoutMs: number | false;
}

/** How uploads go straight through a transport, or undefined when ky must carry them (hooks, retries, a timeout ky refuses). */
export function directUploads(options: AtomscaleClientOptions, timeoutMs: number | false): DirectUploads | undefined {
  if (options.hooks !== undefined || (options.retry ?? 0) !== 0 || (timeoutMs !== false && timeoutMs > MAX_TIMEOUT_MS)) return undefined;
  return { transport: options.fetch ? fetchTransport(options.fetch) : (options.transport ?? defaultTransport), timeoutMs };
}

/** POST `body` to `endpoint/path`; resolves with the answer's JSON (null when unreadable: any 2xx acknowledges). */
export async function postUpload(direct: DirectUploads, endpoint: string, path: string, apiKey: string, body: string, signal: AbortSignal | undefined): Promise<unknown> {
  const shownPath = `/${path}`;
  const timeout = direct.timeoutMs === false ? undefined : new AbortController();
  const timer = timeout && setTimeout(() => timeout.abort(), direct.timeoutMs as number);
  const either = signal === undefined ? timeout?.signal : timeout === undefined ? signal : AbortSignal.any([signal, timeout.signal]);
  let response: TransportResponse;
  try {
    response = await direct.transport({
      url: `${endpoint}/${path}`,
      headers: { "content-type": "application/json", "X-API-KEY": apiKey },
      body,
      signal: either,
    });
  } catch (error) {
    if (timeout?.signal.aborted && !signal?.aborted) {
      const cause = new Error(`No response within ${direct.timeoutMs} ms.`, { cause: error });
      throw new ApiError({ method: "POST", path: shownPath, code: "timeout", cause });
    }
    if (error instanceof Error && error.name === "AbortError") throw error; // the caller's own abort
    throw new ApiError({ method: "POST", path: shownPath, code: "network", cause: error });
  } finally {
    clearTimeout(timer);
  }
  if (response.status < 200 || response.status > 299) {
    throw errorOf(response.status, response.text, response.header("retry-after"), "POST", shownPath, undefined);
  }
  // Any 2xx acknowledges: the body is read if it can be, and never turns an ack into a failure.
  return parseLeniently(response.text);
}
