/**
 * The body limit: a request whose Content-Length is over it gets 413 before its body is read. Only a
 * body without a length (chunked) goes through Hono's `bodyLimit`, which counts it as it arrives —
 * that one builds the request's web stream; a body with a length stays unread here, so the JSON body
 * middleware can take it straight from Node's request (./json-body.ts).
 */
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit as honoBodyLimit } from "hono/body-limit";

export function bodyLimit(options: { maxSize: number; onError: (c: Context) => Response | Promise<Response> }): MiddlewareHandler {
  const counted = honoBodyLimit(options);
  return async function bodyLimit(c, next) {
    if (c.req.method === "GET" || c.req.method === "HEAD") return next();
    const length = c.req.header("content-length");
    if (length !== undefined && c.req.header("transfer-encoding") === undefined) {
      return Number.parseInt(length, 10) > options.maxSize ? options.onError(c) : next();
    }
    return counted(c, next);
  };
}
