/** Authentication: every API path needs the emulator's key in `X-API-KEY` (401 otherwise). */
import type { MiddlewareHandler } from "hono";
import { fail } from "../respond.js";

const encoder = new TextEncoder();

/**
 * Compare a presented key with the expected one in time that depends only on the expected key's
 * length, so response times say nothing about how much of a guess was right.
 */
export function keysMatch(given: string, expected: string): boolean {
  const a = encoder.encode(given);
  const b = encoder.encode(expected);
  let diff = a.length ^ b.length;
  for (let i = 0; i < b.length; i++) diff |= (a.length === 0 ? 0 : a[i % a.length]!) ^ b[i]!;
  return diff === 0;
}

/** A middleware that lets a request through only with the right `X-API-KEY`. */
export function apiKeyAuth(apiKey: string): MiddlewareHandler {
  return async function apiKeyAuth(c, next) {
    const key = c.req.header("x-api-key");
    if (key === undefined || key === "") return fail(c, 401, "Not authenticated: send your API key in the X-API-KEY header.");
    if (!keysMatch(key, apiKey)) return fail(c, 401, "Invalid API key.");
    await next();
  };
}
