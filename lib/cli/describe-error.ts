/**
 * Errors described for a person at a terminal: the network cause named (ECONNREFUSED, ENOTFOUND, a TLS
 * certificate problem …), the server's own words once (no doubled full stop), and what to do next in
 * a command line's terms (a flag to fix, a command to run again) — never a library's advice.
 */
import { ApiError, describeDetail } from "../api/errors.js";

/** A network failure's cause, found along the `cause` chain (Node's undici codes, Deno's messages). */
export interface NetworkCause {
  /** ECONNREFUSED, ENOTFOUND, ETIMEDOUT, ECONNRESET, EHOSTUNREACH, TLS, timeout, or the code found. */
  code: string;
  /** One sentence: what it means and what to check. */
  hint: string;
}

const TLS_CODES = /^(CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|ERR_TLS_|ERR_SSL_)/;

function chain(error: unknown): unknown[] {
  const out: unknown[] = [];
  for (let e = error, n = 0; e !== undefined && e !== null && n < 8; e = (e as { cause?: unknown }).cause, n++) out.push(e);
  return out;
}

/** Name the cause of a request that got no answer; undefined when nothing in the chain says. */
export function networkCause(error: unknown, endpoint?: string): NetworkCause | undefined {
  const where = endpoint ? hostOf(endpoint) : "the endpoint";
  for (const e of chain(error)) {
    const code = typeof (e as { code?: unknown }).code === "string" ? (e as { code: string }).code : "";
    const message = e instanceof Error ? e.message : typeof e === "string" ? e : "";
    if (code === "ECONNREFUSED" || /connection refused/i.test(message)) {
      return { code: "ECONNREFUSED", hint: `nothing accepts connections at ${where}: the server is down or --endpoint names the wrong host or port` };
    }
    if (code === "ENOTFOUND" || code === "EAI_AGAIN" || /dns error|failed to lookup address|name or service not known|getaddrinfo/i.test(message)) {
      return { code: code === "EAI_AGAIN" ? "EAI_AGAIN" : "ENOTFOUND", hint: `the host name of ${where} does not resolve: check --endpoint's spelling and this machine's DNS` };
    }
    if (TLS_CODES.test(code) || /certificate|invalid peer cert|UnknownIssuer|self[- ]signed/i.test(message)) {
      return {
        code: code || "TLS",
        hint: `the TLS certificate of ${where} is not trusted (${code || message.slice(0, 80)}): check --endpoint, the system clock, or give Node your CA with NODE_EXTRA_CA_CERTS=ca.pem (Deno: DENO_CERT=ca.pem)`,
      };
    }
    if (code === "ETIMEDOUT" || code === "UND_ERR_CONNECT_TIMEOUT") return { code: "ETIMEDOUT", hint: `connecting to ${where} timed out: a firewall, or no network` };
    if (code === "EHOSTUNREACH" || code === "ENETUNREACH") return { code, hint: `no route to ${where}: is the network up?` };
    if (code === "ECONNRESET" || code === "UND_ERR_SOCKET") return { code: "ECONNRESET", hint: `the connection to ${where} was cut` };
  }
  if (error instanceof ApiError && error.code === "timeout") return { code: "timeout", hint: `${where} did not answer in time` };
  return undefined;
}

function hostOf(endpoint: string): string {
  try {
    return new URL(endpoint).host;
  } catch {
    return endpoint;
  }
}

/** A sentence's text without its final full stop (to put it inside another sentence). */
export function withoutStop(text: string): string {
  return text.trim().replace(/[.。]+$/, "");
}

/**
 * A failed request in one line: `GET /x: HTTP 401: Invalid API key` or `… : cannot connect (ECONNREFUSED: …)`.
 * No advice: the caller adds what fits (a flag, a command).
 */
export function describeApiError(error: ApiError, endpoint?: string): string {
  const what = `${error.method} ${error.path}`;
  if (error.status !== undefined) {
    const said = withoutStop(describeDetail(error.detail) || error.body?.slice(0, 300) || "");
    return `${what}: HTTP ${error.status}${said ? `: ${said}` : ""}`;
  }
  const cause = networkCause(error, endpoint);
  if (cause) return `${what}: cannot connect (${cause.code}: ${cause.hint})`;
  const inner = error.cause instanceof Error ? withoutStop(error.cause.message) : error.code;
  return `${what}: ${error.code === "timeout" ? "no answer in time" : "network error"}${inner && inner !== error.code ? ` (${inner})` : ""}`;
}

/** Short: `HTTP 503`, `ECONNREFUSED`, `timeout`. */
export function shortCause(error: unknown, endpoint?: string): string {
  if (error instanceof ApiError) {
    if (error.status !== undefined) return `HTTP ${error.status}`;
    return networkCause(error, endpoint)?.code ?? (error.code === "network" ? "network error" : error.code);
  }
  return error instanceof Error ? withoutStop(error.message) : String(error);
}

/** Any error, in one line without a final full stop. */
export function describeError(error: unknown, endpoint?: string): string {
  if (error instanceof ApiError) return describeApiError(error, endpoint);
  if (error instanceof Error) return withoutStop(error.message);
  return withoutStop(String(error));
}

/** What to do after the server refused the key, in a process that is about to exit. */
export const REFUSED_KEY_ADVICE =
  "Check the key (--api-key, or ATOMSCALE_API_KEY / AS_API_KEY) and run the same command again with a valid one: what was read waits in the outbox and is sent then.";
