/**
 * ApiError: the one place where a failed request is classified (design §3.2).
 *
 * - transient: network failure, timeout, 408, 425, 429, 5xx — retry with backoff.
 * - auth: 401, 403 — pause, keep the data, ask for a new key.
 * - permanent: every other 4xx (400, 404, 409, 413, 422 …) — quarantine, never retry forever.
 */
import type { ValidationErrorItem } from "./wire.js";

export type ErrorClassification = "transient" | "auth" | "permanent";

/** Classify an HTTP status code. */
export function classifyStatus(status: number): ErrorClassification {
  if (status === 401 || status === 403) return "auth";
  if (status === 408 || status === 425 || status === 429 || status >= 500) return "transient";
  return "permanent";
}

/**
 * Parse a `Retry-After` header: delta-seconds ("120") or an HTTP-date.
 * Returns milliseconds to wait (never negative), or undefined when absent or unreadable.
 */
export function parseRetryAfter(header: string | null | undefined, now: number = Date.now()): number | undefined {
  if (header == null) return undefined;
  const text = header.trim();
  if (text === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** Render a FastAPI `detail` (a string, or a list of validation items) as one readable line. */
export function describeDetail(detail: unknown): string {
  if (detail == null) return "";
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) {
    return detail
      .map((item) => {
        const v = item as Partial<ValidationErrorItem>;
        if (typeof v !== "object" || v === null || typeof v.msg !== "string") return JSON.stringify(item);
        const where = Array.isArray(v.loc) ? v.loc.filter((p) => p !== "body").join(".") : "";
        const input = "input" in v && isScalar(v.input) ? ` (got ${JSON.stringify(v.input)})` : "";
        return where ? `${where}: ${v.msg}${input}` : `${v.msg}${input}`;
      })
      .join("; ");
  }
  return JSON.stringify(detail);
}

function isScalar(value: unknown): boolean {
  return value === null || ["string", "number", "boolean"].includes(typeof value);
}

export interface ApiErrorInit {
  method: string;
  path: string;
  status?: number;
  detail?: unknown;
  body?: string;
  retryAfterMs?: number;
  code?: string;
  classification?: ErrorClassification;
  cause?: unknown;
}

const advice: Record<ErrorClassification, string> = {
  transient: "This is temporary; the request can be retried.",
  auth: "Check the API key (X-API-KEY) and its scopes; a new key lets uploads resume.",
  permanent: "The server refused this request as it is; fix the request before sending it again.",
};

/** A request to the Atomscale API (or the emulator) that failed. Never carries the API key. */
export class ApiError extends Error {
  override readonly name = "ApiError";
  /** Stable machine-readable code: `http_<status>`, `network` or `timeout`. */
  readonly code: string;
  /** HTTP status, or undefined when no response arrived. */
  readonly status: number | undefined;
  /** The server's `detail` (FastAPI shape: a string or a list of validation items), if any. */
  readonly detail: unknown;
  /** The raw response text, when it was not JSON. */
  readonly body: string | undefined;
  readonly classification: ErrorClassification;
  /** Milliseconds the server asked us to wait (`Retry-After`), if it said. */
  readonly retryAfterMs: number | undefined;
  readonly method: string;
  readonly path: string;

  constructor(init: ApiErrorInit) {
    const classification =
      init.classification ?? (init.status === undefined ? "transient" : classifyStatus(init.status));
    const what = init.status === undefined ? (init.code ?? "network error") : `HTTP ${init.status}`;
    const said = describeDetail(init.detail) || init.body?.slice(0, 300) || errorMessage(init.cause) || "";
    super(`${init.method} ${init.path} failed: ${what}${said ? `: ${said}` : ""}. ${advice[classification]}`, {
      cause: init.cause,
    });
    this.code = init.code ?? (init.status === undefined ? "network" : `http_${init.status}`);
    this.status = init.status;
    this.detail = init.detail;
    this.body = init.body;
    this.classification = classification;
    this.retryAfterMs = init.retryAfterMs;
    this.method = init.method;
    this.path = init.path;
  }

  get transient(): boolean {
    return this.classification === "transient";
  }
}

function errorMessage(cause: unknown): string {
  return cause instanceof Error ? cause.message : cause === undefined ? "" : String(cause);
}
