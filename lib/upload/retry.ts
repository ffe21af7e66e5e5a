/** Retry timing (design §3.2): full-jitter exponential backoff, and the server's Retry-After, both capped. */
import type { ApiError } from "../api/errors.js";

export interface RetryOptions {
  /** First backoff ceiling. @default 500 */
  baseDelayMs?: number;
  /** Largest backoff. @default 30000 */
  maxDelayMs?: number;
  /** Largest wait taken from a Retry-After header. @default 300000 */
  maxRetryAfterMs?: number;
}

export const DEFAULT_RETRY: Required<RetryOptions> = { baseDelayMs: 500, maxDelayMs: 30_000, maxRetryAfterMs: 300_000 };

export function retryOptions(options: RetryOptions = {}): Required<RetryOptions> {
  const r = { ...DEFAULT_RETRY, ...options };
  for (const [name, value] of Object.entries(r)) {
    if (typeof value !== "number" || !(value >= 0)) throw new RangeError(`retry.${name} must be a number ≥ 0, got ${value}.`);
  }
  return r;
}

/** Full jitter: a uniform wait in [0, min(max, base · 2^(attempt−1))). `attempt` counts from 1. */
export function backoffDelay(attempt: number, r: Required<RetryOptions>, random: () => number = Math.random): number {
  const ceiling = Math.min(r.maxDelayMs, r.baseDelayMs * 2 ** Math.min(attempt - 1, 30));
  return Math.floor(random() * ceiling);
}

/**
 * The wait before the next attempt: the server's Retry-After when it gave one, else backoff — never
 * less than the base delay (the floor), whatever the server said: `Retry-After: 0` or a date in
 * the past must not turn the retries into a tight loop.
 */
export function retryDelay(error: Pick<ApiError, "retryAfterMs"> | undefined, attempt: number, r: Required<RetryOptions>, random: () => number = Math.random): number {
  const floor = retryFloor(r);
  if (error?.retryAfterMs !== undefined) return Math.max(floor, Math.min(error.retryAfterMs, r.maxRetryAfterMs));
  return Math.max(floor, backoffDelay(attempt, r, random));
}

/** The least wait before any retry: the base delay (at most the cap). */
export function retryFloor(r: Required<RetryOptions>): number {
  return Math.min(r.maxDelayMs, r.baseDelayMs);
}
