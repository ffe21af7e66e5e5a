/**
 * Requests through ky (one configured instance, design §8): the API key added before the caller's hooks,
 * the timeout and retry of the client's options, every failure an ApiError (response-error.ts). All
 * requests but chunk uploads take this way (those take upload.ts when ky has nothing to add).
 *
 * ky is imported at the first request that takes this way: its module reads `globalThis.Request`, which
 * makes Node load its fetch implementation (several MB resident) — a process that only uploads (through
 * the node:http transport) never needs it (test/outbox/resident-modules.test.ts).
 */
import type { KyInstance, Options as KyOptions } from "ky";
import { ApiError } from "./errors.js";
import { parseLeniently } from "./lenient.js";
import type { AtomscaleClientOptions } from "./options.js";
import { toApiError } from "./response-error.js";

export interface RequestOptions {
  json?: unknown;
  /** A JSON body already written as text. */
  body?: string;
  searchParams?: Record<string, string> | URLSearchParams;
  signal?: AbortSignal | undefined;
  /** A 2xx is an acknowledgement whatever its body: an unreadable one reads as null. */
  lenient?: boolean;
}

/** One request: `path` is relative to the endpoint (no leading slash); resolves with the parsed JSON body (null when empty). */
export type Request = <T>(method: "GET" | "POST", path: string, init: RequestOptions) => Promise<T>;

/** The client's ky instance and its request function. `apiKey` is read at each request (setApiKey). */
export function kyRequests(options: AtomscaleClientOptions, endpoint: string, timeoutMs: number | false, apiKey: () => string): Request {
  const userHooks = options.hooks ?? {};
  const kyOptions: KyOptions = {
    prefixUrl: endpoint,
    timeout: timeoutMs,
    retry: options.retry ?? 0,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    hooks: {
      ...userHooks,
      beforeRequest: [
        (request) => {
          request.headers.set("X-API-KEY", apiKey());
        },
        ...(userHooks.beforeRequest ?? []),
      ],
    },
  };
  let instance: Promise<{ ky: typeof import("ky"); http: KyInstance }> | undefined;
  return async <T>(method: "GET" | "POST", path: string, init: RequestOptions): Promise<T> => {
    const shownPath = `/${path}`;
    // A failed import (a page whose script chunk could not load) is not kept: the next request tries again.
    const loading = (instance ??= import("ky").then((ky) => ({ ky, http: ky.default.create(kyOptions) })));
    loading.catch(() => {
      if (instance === loading) instance = undefined;
    });
    const { ky, http } = await loading;
    let response: Response;
    try {
      response = await http(path, {
        method,
        ...(init.json !== undefined ? { json: init.json } : {}),
        ...(init.body !== undefined ? { body: init.body, headers: { "content-type": "application/json" } } : {}),
        ...(init.searchParams ? { searchParams: init.searchParams } : {}),
        ...(init.signal ? { signal: init.signal } : {}),
      });
    } catch (error) {
      throw await toApiError(ky, error, method, shownPath);
    }
    if (init.lenient) return parseLeniently(await response.text().catch(() => "")) as T;
    const text = await response.text();
    if (text === "") return null as T;
    try {
      return JSON.parse(text) as T;
    } catch (cause) {
      throw new ApiError({ method, path: shownPath, status: response.status, body: text, code: "bad_response", classification: "transient", cause });
    }
  };
}
