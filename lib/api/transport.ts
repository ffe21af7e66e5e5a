/**
 * The transport of the hot path: how a chunk upload (one JSON body, POST) reaches the server.
 *
 * One code path above it — URL, headers, timeout, abort and ApiError are the client's (client.ts) — and
 * one transport per runtime below it, chosen by the package's `#transport` import (package.json
 * "imports"): under Node a keep-alive `node:http`/`node:https` agent (transport-node.ts), elsewhere —
 * browsers, Deno, workers — `fetch` (transport-fetch.ts). A `fetch` given to the client always wins.
 */

/** One upload, as the client hands it down. */
export interface TransportRequest {
  /** Absolute URL. */
  url: string;
  /** Request headers (content-type and X-API-KEY); the transport adds content-length itself. */
  headers: Record<string, string>;
  /** The JSON text. */
  body: string;
  /** Aborts the request; the transport then rejects with an Error named "AbortError". */
  signal?: AbortSignal | undefined;
}

/** What came back: the status, a header reader, and the whole body as text. */
export interface TransportResponse {
  status: number;
  header(name: string): string | null;
  text: string;
}

/**
 * Sends one request. Rejects with an Error named "AbortError" when `signal` aborts, and with any other
 * error when no complete answer arrived (the client turns that into `ApiError` code "network").
 */
export type Transport = (request: TransportRequest) => Promise<TransportResponse>;

/** The portable transport: `fetch` (the global one, or one given to the client). */
export function fetchTransport(fetchImpl: typeof fetch = (input, init) => globalThis.fetch(input, init)): Transport {
  return async ({ url, headers, body, signal }) => {
    const response = await fetchImpl(url, { method: "POST", headers, body, ...(signal ? { signal } : {}) });
    // The status is the answer: a body that breaks off reads as "" (a 2xx is an ack whatever its body).
    const text = await response.text().catch(() => "");
    return { status: response.status, header: (name) => response.headers.get(name), text };
  };
}
