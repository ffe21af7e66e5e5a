/**
 * Validation as middleware, the Hono way: read the body as JSON (whatever the Content-Type says, as
 * FastAPI does), check it with a function that records pydantic-shaped errors, and answer 422 with
 * them — or hand the checked value to the handler as `c.req.valid("json")`.
 */
import type { Env, MiddlewareHandler } from "hono";
import { invalid } from "../respond.js";
import { Validator } from "../validate.js";

/** Checks a parsed body; records what is wrong in `v` and returns the typed value when all is well. */
export type BodyCheck<T> = (body: unknown, v: Validator) => T | undefined;

export function jsonBody<T extends object, E extends Env = Env>(
  check: BodyCheck<T>,
): MiddlewareHandler<E, string, { in: { json: unknown }; out: { json: T } }> {
  return async function jsonBody(c, next) {
    const v = new Validator();
    const text = await c.req.text();
    let body: unknown;
    try {
      body = JSON.parse(text) as unknown;
    } catch (error) {
      v.add("json_invalid", ["body", 0], "JSON decode error", {}, { error: (error as Error).message });
    }
    const value = v.ok ? check(body, v) : undefined;
    if (!v.ok || value === undefined) return invalid(c, v);
    c.req.addValidatedData("json", value);
    await next();
  };
}
